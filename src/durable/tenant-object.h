// TenantDO: one Durable Object per tenant, named "tenant:{subdomain}", on SQLite storage. The
// Worker reaches it only for tenants that exist (src/app/tenant-directory.h), with the tenant's
// id and subdomain in x-lattice-tenant / x-lattice-subdomain. Its internal routes:
//   GET  /state                 the tenant's stamp and row: {stamp, tenant}   (TenantState)
//   POST /state {stamp, tenant} a write's new stamp and row, kept if newer      -> {kept}
//   GET  /drafts                -> {drafts:[...]}                              (DraftStore)
//   GET|PUT|DELETE /drafts/{slug}[?revision=N]
//   POST /events {events:[...]} -> 202 {accepted, pending}                      (EventOutbox)
//   GET  /events                -> {pending, failures}
// and its alarm, which flushes the analytics outbox to D1 in batches of up to 100.
#pragma once

#include "core/task.h"
#include "durable/object-context.h"
#include "http/http.h"

namespace lattice {

Task<HttpResponse> handleTenantObject(ObjectContext& ox);

}  // namespace lattice
