// How the Worker reaches a post's PostContentDO ("post-content:{tenantId}:{postId}", internal
// routes in src/durable/post-content-object.h), and recording every owner write's new version
// in the post's history.
#pragma once

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

}  // namespace lattice
