// Readers: platform-wide identities for reacting and commenting, valid on every blog.
//
//   POST /api/readers {name}  (any host)  201 {token, reader:{id, name}}
//     400 reader.name_invalid (name: a string, 1-50 characters after trimming, no control
//     characters), 429 rate.limited with Retry-After (READER_SIGNUPS_PER_MINUTE per client
//     address, counted by the LimiterDO "signup:{address}"), 503 storage.unavailable.
//
// A token is "rdr_" + 64 hex characters of fresh randomness, shown once. D1's `readers` keeps
// only its SHA-256; the reader id is derived from the token by another hash, so neither reveals
// it. Requests send it as `Authorization: Bearer rdr_…`; a verified token is remembered in KV
// (`reader:{sha256}`), so checking one usually costs no D1 read.
#pragma once

#include <optional>
#include <string>

#include "app/context.h"
#include "core/task.h"
#include "http/http.h"

namespace lattice {

struct Reader {
  std::string id;
  std::string name;
};

struct ReaderAuth {
  std::optional<Reader> reader;          // a verified reader token
  bool ownerToken = false;               // the bearer is an owner token (lat_…), not a reader's
  std::optional<HttpResponse> failure;   // 401 reader.invalid_token, or 503
};

// The request's reader, if it sends a reader token. No Authorization header (or an owner
// token) is not a failure: the reader is then absent.
Task<ReaderAuth> verifyReader(Context& cx);

// POST /api/readers (and 405 for other methods).
Task<HttpResponse> handleReadersApi(Context& cx);

// The client address rate limits count by: CF-Connecting-IP, IPv6 cut to its /64 (one
// subscriber usually holds a whole /64); "unknown" without one.
std::string clientAddress(const HttpRequest& request);

}  // namespace lattice
