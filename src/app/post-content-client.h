// How the Worker reaches a post's PostContentDO ("post-content:{tenantId}:{postId}", internal
// routes in src/durable/post-content-object.h), and the two things every owner write needs
// from it: recording the new version in the post's history, and the content of a post that
// lives in R2 (D1 holds no copy of it then).
#pragma once

#include <optional>
#include <string>

#include "app/content.h"
#include "app/context.h"
#include "blog/post.h"
#include "core/task.h"
#include "http/http.h"

namespace lattice {

// One request to the post's PostContentDO. Fails (error set) only when the object could not be
// reached; its own errors are responses.
Task<Fetched<HttpResponse>> callPostContentObject(Context& cx, const std::string& tenantId, const std::string& postId,
                                                  std::string method, std::string path, std::string body = {});

// After a post write (`post` as written, with its new version): the version is recorded in the
// post's history before the answer. A failure is logged and counted
// (metric post_content.report_failed); the write stands and the history makes the version up
// from D1 on its next read.
Task<void> reportPostVersion(Context& cx, const Post& post);

// Fills `post`'s markdown and html from where its content lives when that is not D1 (read and
// hash-checked, src/durable/post-content.h). nullopt when `post` is complete; otherwise the
// error to answer (500 content.missing / content.corrupt, 503 storage.unavailable, 409
// post.version_conflict when the post changed since it was read).
Task<std::optional<HttpResponse>> loadStoredContent(Context& cx, Post& post);

}  // namespace lattice
