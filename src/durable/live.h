// The live channel of a post's PostMetaDO: readers hold a hibernating WebSocket to the object,
// which broadcasts reactions, comments and "N people reading" to them. This file holds the
// IO-free rules; the runtime part (accept, attachments, broadcast) performs what they decide.
//
//   client -> server   {type:"hello", since?: seq}      catch up from a sequence number
//                      {type:"ping"}                    keep-alive
//                      {type:"react", reaction, requestId?}   forwarded to the reactions logic
//   server -> client   {seq, type, at, ...payload}      one event of the LiveLog
//                      {type:"reset", seq}              too far behind: reload, then go on from seq
//                      {type:"presence", reading, seq}  distinct readers connected now
//
// A message that breaks the rules closes the socket with a WebSocket close code and a short,
// stable reason (the reasons are API: clients and tests match on them exactly).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/json.h"
#include "durable/sql.h"

namespace lattice {

// Frames larger than this (in bytes, as received) are refused before they are parsed.
inline constexpr size_t kMaxLiveFrameBytes = 4096;
// RFC 6455: a close frame's payload is at most 125 bytes, 2 of them the code.
inline constexpr size_t kMaxCloseReasonBytes = 123;

inline constexpr int kCloseMessageTooBig = 1009;
inline constexpr int kClosePolicyViolation = 1008;

// A `reaction` is 1-32 characters of [a-z0-9_-] (which reactions exist is the reactions logic's
// business, src/durable/reactions.h); a `requestId` is 8-64 characters of [A-Za-z0-9_-], the
// shape the reactions logic accepts.
inline constexpr size_t kMaxReactionChars = 32;
inline constexpr size_t kMinRequestIdChars = 8;
inline constexpr size_t kMaxRequestIdChars = 64;

// One checked client message. Only the fields of its type are set.
struct ClientMessage {
  enum class Type { Hello, Ping, React };
  Type type = Type::Ping;
  std::optional<long long> since;  // Hello: the last seq the client saw (>= 0), if any
  std::string reaction;            // React
  std::string requestId;           // React: "" when absent; the reactions logic de-duplicates on it
};

// Why a frame closes the socket: the close code and a reason of at most kMaxCloseReasonBytes.
struct MessageError {
  int closeCode = kClosePolicyViolation;
  std::string reason;
};

// Checks one frame, in this order:
//   over kMaxLiveFrameBytes (binary or not)          1009 "frame.too_big"
//   a binary frame                                   1008 "frame.binary"
//   not JSON (or nested deeper than kMaxJsonDepth)   1008 "frame.not_json"
//   JSON but not an object                           1008 "message.not_object"
//   type missing, not a string, or none of the three 1008 "message.type_unknown"
//   a field the type does not have, or a bad value   1008 "message.field_invalid"
// Unknown fields are refused rather than ignored: the client is served by the same deployment,
// so an unexpected field is a bug or a probe, never an older or newer client.
std::variant<ClientMessage, MessageError> parseClientMessage(std::string_view frame, bool isBinary);

// Flood control: a token bucket per socket. A socket may send kFloodBurst messages at once and
// kFloodRatePerSecond after that; a message over the limit is dropped and counts a strike, and
// the kFloodMaxStrikes-th strike closes the socket with 1008 "flood". Strikes are forgiven once
// the bucket has refilled completely (two seconds of quiet), so a reader who clicks a burst now
// and then is never closed, while a client that keeps sending over the rate is, within seconds.
inline constexpr double kFloodRatePerSecond = 10;
inline constexpr double kFloodBurst = 20;
inline constexpr int kFloodMaxStrikes = 5;
inline constexpr std::string_view kFloodReason = "flood";

// Reader ids are ids the server issued (from a verified reader token), at most this long; the
// serialised state is then well under kMaxSocketStateBytes, the bound for an attachment.
inline constexpr size_t kMaxReaderIdBytes = 128;
inline constexpr size_t kMaxSocketStateBytes = 2048;

// What the object keeps about one socket, serialised into the WebSocket's attachment so that it
// survives hibernation (in-memory state does not).
struct SocketState {
  std::string readerId;   // "" for an anonymous reader
  long long lastSeq = 0;  // the last LiveLog seq this socket was sent
  double tokens = kFloodBurst;
  long long refilledAt = 0;  // Unix ms of the last refill
  int strikes = 0;

  // A new socket's state: a full bucket at `now`.
  static SocketState opened(std::string readerId, long long lastSeq, long long now);

  // {readerId, lastSeq, tokens, refilledAt, strikes}: at most kMaxSocketStateBytes serialised
  // when readerId is at most kMaxReaderIdBytes.
  Json toJson() const;
  // The inverse of toJson; nullopt unless every field is present and sane (readerId a string of
  // at most kMaxReaderIdBytes, lastSeq >= 0, tokens within [0, kFloodBurst], strikes within
  // [0, kFloodMaxStrikes]). A socket whose attachment does not read back should be closed.
  static std::optional<SocketState> fromJson(const Json& json);
};

enum class FloodDecision {
  Accept,  // handle the message
  Drop,    // ignore it (a strike was recorded)
  Close,   // close the socket with kClosePolicyViolation and kFloodReason
};

// Refills `state`'s bucket for the time since refilledAt (a clock that went backwards refills
// nothing), then takes one token for this message or records a strike. Store `state` back in
// the attachment afterwards, whatever the decision.
FloodDecision admit(SocketState& state, long long now);

// The close for FloodDecision::Close: {1008, "flood"}.
MessageError floodClose();

// The sequenced log of broadcast events in the object's SQLite, so that a client that
// reconnects can catch up on what it missed. Sequence numbers start at 1 and are never reused,
// not even after every event was pruned.
class LiveLog {
 public:
  // Creates the tables if they do not exist yet.
  explicit LiveLog(Sql& sql);

  // Appends an event; returns its seq, or -1 when `payload` is not an object or the write
  // failed (then nothing was stored and no seq was used). The event reads back as
  // {seq, type, at: now, ...payload}; payload keys named seq, type or at are dropped.
  long long append(std::string_view type, const Json& payload, long long now);

  // The events after `seq`, oldest first, when all of them are still kept and there are at
  // most `max`; otherwise (the client is too far behind, or its seq is from the future, e.g.
  // before a storage reset) the single marker {type:"reset", seq: lastSeq()}, after which the
  // client reloads and carries on from that seq. A partial catch-up is never returned, so a
  // client can never miss an event silently. Empty when the client is up to date.
  std::vector<Json> since(long long seq, size_t max);

  // Deletes all but the newest `keepLast` events.
  void prune(size_t keepLast);

  // The seq of the newest event ever appended; 0 before the first.
  long long lastSeq();

 private:
  Sql& sql_;
};

// Keep this many events for catch-up; the object prunes to it after appending.
inline constexpr size_t kLiveLogKeep = 500;

// {type:"presence", reading: readingNow, seq}.
Json presenceMessage(int readingNow, long long seq);

// The number of distinct readers among the sockets: a reader on two tabs counts once, and each
// anonymous socket (readerId "") counts as one reader.
int countReaders(const std::vector<SocketState>& sockets);

// Whether a WebSocket upgrade's Origin header may open the channel: it must be
// "http://" or "https://" followed by exactly the request's Host (case-insensitive; a port equal
// to the scheme's default may be written or left out on either side) and nothing else. An
// empty Origin, "null", another scheme, userinfo, a path, or a different host or port is
// refused; so are lookalikes such as demo.localhost.evil.com for demo.localhost.
bool originAllowed(std::string_view origin, std::string_view host);

}  // namespace lattice
