// Page cursors, which clients send back as query parameters: Meadow's feed cursors
// (feed/cursor.h), comment cursors (durable/comments.h) and the sealed tokens under both
// (core/sealed-token.h). The input is the text a client would send.
//
// Oracles: a cursor that decodes is one the server could have issued, so encoding the decoded
// value gives back exactly the input (one spelling per cursor) and its fields are within their
// documented ranges; the same holds for base64url. Then, from the same bytes, a valid cursor is
// built and must survive encode -> decode unchanged.
#include <fuzzer/FuzzedDataProvider.h>

#include <climits>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/sealed-token.h"
#include "durable/comments.h"
#include "feed/cursor.h"
#include "feed/preview.h"
#include "fuzz-support.h"

using namespace lattice;
using lattice::fuzz::check;

namespace {

void decodeAsSent(std::string_view text) {
  if (auto bytes = base64UrlDecode(text))
    check(base64UrlEncode(*bytes) == text, "base64UrlDecode accepted a second spelling", text);

  if (auto cursor = feed::decodeCursor(text)) {
    check(text.size() <= feed::kMaxCursorChars, "a feed cursor over the length limit decoded", text);
    if (cursor->sort == feed::Sort::Recent) {
      check(feed::validFeedId(cursor->postId), "a recent cursor with an invalid post id", text);
    } else {
      check(cursor->snapshotId.size() == 16, "a relevance cursor without a 16-hex snapshot id", text);
      check(cursor->rank >= 1, "a relevance cursor with a rank below 1", text);
    }
    check(feed::encodeCursor(*cursor) == text, "a feed cursor that re-encodes differently", text);
  }

  if (auto seq = parseCommentCursor(text)) {
    check(*seq >= 0, "a negative comment cursor", text);
    check(commentCursor(*seq) == text, "a comment cursor that re-encodes differently", text);
  }

  // An opened token is exactly what sealing its payload gives.
  if (auto payload = openToken("lattice.fuzz:", text))
    check(sealToken("lattice.fuzz:", *payload) == text, "an opened token that re-seals differently", text);
}

void roundTrip(FuzzedDataProvider& in) {
  static constexpr char kIdChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
  static constexpr char kHex[] = "0123456789abcdef";
  feed::FeedCursor c;
  if (in.ConsumeBool()) {
    std::string id(in.ConsumeIntegralInRange<size_t>(1, 64), 'a');
    for (char& ch : id) ch = kIdChars[in.ConsumeIntegralInRange<size_t>(0, 63)];
    c = feed::recentCursor(in.ConsumeIntegral<long long>(), id);
  } else {
    std::string snapshot(16, '0');
    for (char& ch : snapshot) ch = kHex[in.ConsumeIntegralInRange<size_t>(0, 15)];
    c = feed::relevanceCursor(snapshot, in.ConsumeIntegralInRange<long long>(1, 0xFFFFFFFFLL));
  }
  const std::string text = feed::encodeCursor(c);
  check(text.size() <= feed::kMaxCursorChars, "an issued feed cursor over the length limit", text);
  auto back = feed::decodeCursor(text);
  check(back.has_value() && *back == c, "an issued feed cursor does not decode to itself", text);

  const long long seq = in.ConsumeIntegralInRange<long long>(0, LLONG_MAX);
  const std::string comment = commentCursor(seq);
  check(parseCommentCursor(comment) == seq, "an issued comment cursor does not decode to itself", comment);

  const std::string payload = in.ConsumeRemainingBytesAsString();
  check(openToken("s:", sealToken("s:", payload)) == payload, "a sealed token does not open", payload);
  check(base64UrlDecode(base64UrlEncode(payload)) == payload, "base64url does not round-trip", payload);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  decodeAsSent(std::string_view(reinterpret_cast<const char*>(data), size));
  FuzzedDataProvider in(data, size);
  roundTrip(in);
  return 0;
}
