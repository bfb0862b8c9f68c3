// Which tenants exist, and how the Worker reaches a tenant's TenantDO. The directory exists so
// that a request for a random subdomain never creates a Durable Object: an object is addressed
// only after the tenant was found (KV "dir:{subdomain}", else D1; absent tenants are answered by
// the caller's short-lived "no such blog" stamp).
#pragma once

#include <optional>
#include <string>

#include "app/content.h"
#include "app/context.h"
#include "core/task.h"
#include "http/http.h"

namespace lattice {

// The tenant id for `subdomain`, or nullopt when there is no such tenant.
Task<Fetched<std::optional<std::string>>> lookupTenantId(Context& cx, const std::string& subdomain);
// Forgets a directory entry that turned out to be wrong (the tenant was deleted).
void forgetTenantId(Context& cx, const std::string& subdomain);

// One request to the Durable Object `name` of namespace `binding`. Fails (error set) only when
// the object could not be reached; its own errors are responses.
Task<Fetched<HttpResponse>> callObject(Context& cx, const char* binding, std::string name, std::string method,
                                       std::string path, Json headers, std::string body = {});

// A WebSocket handed to the Durable Object `name` (do.connect to `path`, with `headers`): the
// request must be an upgrade (else 426 live.upgrade_required) from a page of this host (Origin,
// else 403 live.origin_forbidden). The object's answer is relayed: its 101, or its error.
Task<HttpResponse> connectLive(Context& cx, const char* binding, std::string name, std::string path, Json headers);

// One request to the TenantDO "tenant:{subdomain}" (internal routes: src/durable/tenant-object.h).
// Fails (error set) only when the object could not be reached; its own errors are responses.
Task<Fetched<HttpResponse>> callTenantObject(Context& cx, const std::string& tenantId, const std::string& subdomain,
                                             std::string method, std::string path, std::string body = {});

}  // namespace lattice
