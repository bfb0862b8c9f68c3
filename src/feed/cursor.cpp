#include "feed/cursor.h"

#include <cstdint>

#include "core/sealed-token.h"
#include "feed/preview.h"

namespace lattice::feed {

namespace {

constexpr std::string_view kSalt = "lattice.feed-cursor:";
constexpr unsigned char kSortRecent = 1;
constexpr unsigned char kSortRelevance = 2;
constexpr char kHex[] = "0123456789abcdef";

void putBigEndian(std::string& out, uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

uint64_t getBigEndian(std::string_view in, size_t at, int bytes) {
  uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value = (value << 8) | static_cast<unsigned char>(in[at + i]);
  return value;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

std::optional<Sort> parseSort(std::string_view text) {
  if (text == "recent") return Sort::Recent;
  if (text == "relevance") return Sort::Relevance;
  return std::nullopt;
}

const char* sortName(Sort sort) { return sort == Sort::Recent ? "recent" : "relevance"; }

FeedCursor recentCursor(UnixMillis publishedAt, std::string postId) {
  FeedCursor c;
  c.sort = Sort::Recent;
  c.publishedAt = publishedAt;
  c.postId = std::move(postId);
  return c;
}

FeedCursor relevanceCursor(std::string snapshotId, long long rank) {
  FeedCursor c;
  c.sort = Sort::Relevance;
  c.snapshotId = std::move(snapshotId);
  c.rank = rank;
  return c;
}

std::string encodeCursor(const FeedCursor& cursor) {
  std::string bytes;
  bytes.push_back(static_cast<char>(kCursorVersion));
  if (cursor.sort == Sort::Recent) {
    bytes.push_back(static_cast<char>(kSortRecent));
    putBigEndian(bytes, static_cast<uint64_t>(cursor.publishedAt), 8);
    bytes.append(cursor.postId);
  } else {
    bytes.push_back(static_cast<char>(kSortRelevance));
    for (size_t i = 0; i + 1 < cursor.snapshotId.size() && i < 16; i += 2)
      bytes.push_back(static_cast<char>(hexValue(cursor.snapshotId[i]) * 16 + hexValue(cursor.snapshotId[i + 1])));
    putBigEndian(bytes, static_cast<uint64_t>(cursor.rank), 4);
  }
  return sealToken(kSalt, bytes);
}

std::optional<FeedCursor> decodeCursor(std::string_view text) {
  if (text.empty() || text.size() > kMaxCursorChars) return std::nullopt;
  auto opened = openToken(kSalt, text);
  if (!opened || opened->size() < 2) return std::nullopt;
  const std::string_view bytes(*opened);
  if (static_cast<unsigned char>(bytes[0]) != kCursorVersion) return std::nullopt;
  const auto sort = static_cast<unsigned char>(bytes[1]);
  if (sort == kSortRecent) {
    if (bytes.size() < 2 + 8 + 1) return std::nullopt;
    const auto publishedAt = static_cast<UnixMillis>(getBigEndian(bytes, 2, 8));
    std::string postId(bytes.substr(10));
    if (!validFeedId(postId)) return std::nullopt;
    return recentCursor(publishedAt, std::move(postId));
  }
  if (sort == kSortRelevance) {
    if (bytes.size() != 2 + 8 + 4) return std::nullopt;
    std::string snapshotId;
    for (size_t i = 2; i < 10; ++i) {
      const auto b = static_cast<unsigned char>(bytes[i]);
      snapshotId.push_back(kHex[b >> 4]);
      snapshotId.push_back(kHex[b & 15]);
    }
    const auto rank = static_cast<long long>(getBigEndian(bytes, 10, 4));
    if (rank < 1) return std::nullopt;
    return relevanceCursor(std::move(snapshotId), rank);
  }
  return std::nullopt;
}

}  // namespace lattice::feed
