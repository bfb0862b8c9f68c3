// The live channel's WebSocket messages (durable/live.h), shared by post pages (PostMetaDO) and
// Meadow (FeedDO): parseClientMessage on the frame as received, the Origin check of the upgrade,
// and the per-socket state read back from the attachment with its flood control.
//
// Oracles: a refusal has close code 1008 or 1009 and one of the documented reasons (which fit a
// close frame); an accepted message carries only values of the documented shape; an attachment
// that reads back serialises to the same state, and admit() keeps the bucket within its bounds.
#include <climits>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <variant>

#include "core/json.h"
#include "durable/live.h"
#include "fuzz-support.h"

using namespace lattice;
using lattice::fuzz::check;

namespace {

bool idChars(std::string_view s, bool upper) {
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (upper && c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
      return false;
  return true;
}

void message(std::string_view frame, bool binary) {
  static const std::set<std::string> kReasons = {"frame.too_big", "frame.binary", "frame.not_json",
                                                 "message.not_object", "message.type_unknown",
                                                 "message.field_invalid"};
  auto parsed = parseClientMessage(frame, binary);
  if (const auto* e = std::get_if<MessageError>(&parsed)) {
    check(e->closeCode == kClosePolicyViolation || e->closeCode == kCloseMessageTooBig, "an unexpected close code", e->reason);
    check(kReasons.count(e->reason) == 1, "an undocumented close reason", e->reason);
    check(e->reason.size() <= kMaxCloseReasonBytes, "a close reason too long for a close frame", e->reason);
    check((e->closeCode == kCloseMessageTooBig) == (frame.size() > kMaxLiveFrameBytes), "1009 for the wrong frame", frame);
    return;
  }
  check(!binary && frame.size() <= kMaxLiveFrameBytes, "a binary or oversized frame accepted", frame);
  const ClientMessage& m = std::get<ClientMessage>(parsed);
  switch (m.type) {
    case ClientMessage::Type::Hello:
      check(!m.since || *m.since >= 0, "a negative since", frame);
      break;
    case ClientMessage::Type::Ping:
      break;
    case ClientMessage::Type::React:
      check(!m.reaction.empty() && m.reaction.size() <= kMaxReactionChars && idChars(m.reaction, false),
            "a reaction of the wrong shape", frame);
      check(m.requestId.empty() || (m.requestId.size() >= kMinRequestIdChars &&
                                    m.requestId.size() <= kMaxRequestIdChars && idChars(m.requestId, true)),
            "a requestId of the wrong shape", frame);
      break;
  }
}

void origin(std::string_view text) {
  const size_t nl = text.find('\n');
  if (nl == std::string_view::npos) return;
  const std::string_view origin = text.substr(0, nl), host = text.substr(nl + 1);
  if (originAllowed(origin, host))
    check(fuzz::startsWithNoCase(origin, "http://") || fuzz::startsWithNoCase(origin, "https://"),
          "an origin allowed without http(s)://", text);
}

void attachment(std::string_view text) {
  std::optional<Json> json = parseJson(text);
  if (!json) return;
  std::optional<SocketState> read = SocketState::fromJson(*json);
  if (!read) return;
  const Json out = read->toJson();
  check(dumpJson(out).size() <= kMaxSocketStateBytes, "a socket state over the attachment bound", dumpJson(out));
  std::optional<SocketState> again = SocketState::fromJson(out);
  check(again && again->toJson() == out, "a socket state that does not read back", dumpJson(out));
  // The clock comes from the runtime, not from the frame: try the extremes and the ordinary.
  const long long r = read->refilledAt;
  const long long nows[] = {LLONG_MIN, -1, 0, r, r > LLONG_MAX - 1000 ? LLONG_MAX : r + 1000,
                            r < LLONG_MIN + 1000 ? LLONG_MIN : r - 1000, 1795000000000, LLONG_MAX};
  for (long long now : nows) {
    SocketState state = *read;
    for (int i = 0; i < 3; ++i) {
      const FloodDecision d = admit(state, now);
      check(state.tokens >= 0 && state.tokens <= kFloodBurst, "tokens outside [0, burst]", dumpJson(state.toJson()));
      check(state.strikes >= 0 && state.strikes <= kFloodMaxStrikes, "strikes out of range", dumpJson(state.toJson()));
      check(d != FloodDecision::Close || state.strikes == kFloodMaxStrikes, "closed before the last strike", "");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  message(text, false);
  message(text, true);
  origin(text);
  attachment(text);
  return 0;
}
