// Test helpers shared by the meta client tests: a seeded generator of keys, values and numbers,
// comparing neutral Results field by field, and parsing one meta reply whole, at every split
// point, and streamed through a ValueReader. Test-only; single-threaded.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/meta/client.h"
#include "protocol/stream.h"

namespace memfleet::protocol::meta::testing {

// Seeded random keys, values, numbers and tokens for the property tests.
class Gen {
 public:
  explicit Gen(uint64_t seed) : rng_(seed) {}
  uint64_t U64() { return rng_(); }
  uint64_t Below(uint64_t n) { return n == 0 ? 0 : rng_() % n; }
  bool Coin() { return (rng_() & 1) != 0; }
  // A key meta carries as is: 1..max printable bytes without spaces.
  std::string LegalKey(size_t max = kKeyMaxLength) {
    std::string k(1 + Below(max), 'x');
    for (char& c : k) c = static_cast<char>('!' + Below(94));
    return k;
  }
  std::string Bytes(size_t n) {
    std::string s(n, '\0');
    for (char& c : s) c = static_cast<char>(Below(256));
    // Plant "\r\n" inside now and then, where a careless parser would stop.
    if (n >= 4 && Coin()) s.replace(Below(n - 2), 2, "\r\n");
    return s;
  }
  // 0..~64 KiB, mostly small.
  std::string Value() { return Bytes(Below(8) == 0 ? Below(65 * 1024) : Below(300)); }
  int32_t Int32() { return static_cast<int32_t>(U64()); }
  std::string Opaque() {
    std::string o = "O";
    size_t n = 1 + Below(kMaxOpaqueLength - 1);
    for (size_t i = 0; i < n; ++i) o.push_back(static_cast<char>('a' + Below(26)));
    return o;
  }
  template <typename T>
  void Shuffle(std::vector<T>* v) {
    std::shuffle(v->begin(), v->end(), rng_);
  }

 private:
  std::mt19937_64 rng_;
};

inline std::string Base64(std::string_view in) {
  std::string out(Base64EncodedSize(in.size()), '\0');
  out.resize(Base64Encode(in, out.data()));
  return out;
}

// Every field of two Results, views compared by content.
inline void ExpectSameResult(const Result& want, const Result& got, const std::string& what) {
  SCOPED_TRACE(what);
  EXPECT_EQ(ResultCodeName(want.code), ResultCodeName(got.code));
  EXPECT_EQ(static_cast<int>(want.detail), static_cast<int>(got.detail));
  EXPECT_EQ(want.message, got.message);
  EXPECT_EQ(want.has_value, got.has_value);
  EXPECT_EQ(want.value, got.value);
  EXPECT_EQ(want.value_length, got.value_length);
  EXPECT_EQ(want.has_flags, got.has_flags);
  EXPECT_EQ(want.client_flags, got.client_flags);
  EXPECT_EQ(want.has_cas, got.has_cas);
  EXPECT_EQ(want.cas, got.cas);
  EXPECT_EQ(want.has_number, got.has_number);
  EXPECT_EQ(want.number, got.number);
  EXPECT_EQ(want.has_ttl, got.has_ttl);
  EXPECT_EQ(want.ttl, got.ttl);
  EXPECT_EQ(want.has_size, got.has_size);
  EXPECT_EQ(want.size, got.size);
  EXPECT_EQ(want.has_last_access, got.has_last_access);
  EXPECT_EQ(want.last_access, got.last_access);
  EXPECT_EQ(want.has_hit_before, got.has_hit_before);
  EXPECT_EQ(want.hit_before, got.hit_before);
  EXPECT_EQ(want.win, got.win);
  EXPECT_EQ(want.stale, got.stale);
  EXPECT_EQ(want.win_sent, got.win_sent);
  EXPECT_EQ(want.key, got.key);
  EXPECT_EQ(want.base64_key, got.base64_key);
  EXPECT_EQ(want.opaque, got.opaque);
  EXPECT_EQ(want.text, got.text);
}

// Parses the reply at the front of `bytes` (which holds it whole, perhaps followed by more)
// with ParseReply; checks that every shorter prefix is kIncomplete, that ParseReplyHead plus a
// ValueReader fed the rest in two pieces (split at every point) agrees, and that the result is
// the same each time. Returns the whole parse; *r is its result.
inline ReplyParse ParseEverySplit(std::string_view bytes, Op op, Result* r,
                                  const std::string& what) {
  SCOPED_TRACE(what);
  ReplyParse whole = ParseReply(bytes, op, r);
  EXPECT_EQ(whole.status, ReplyStatus::kOk);
  if (whole.status != ReplyStatus::kOk) return whole;
  EXPECT_LE(whole.consumed, bytes.size());
  Result head_result;
  ReplyParse head = ParseReplyHead(bytes, op, &head_result);
  EXPECT_EQ(head.status, ReplyStatus::kOk);
  EXPECT_EQ(head.has_value, whole.has_value);
  size_t expect_total = head.consumed + (head.has_value ? head.value_length + 2 : 0);
  EXPECT_EQ(whole.consumed, expect_total);
  bool failed = false;
  for (size_t i = 0; i < whole.consumed && !failed; ++i) {
    Result part;
    ReplyParse p = ParseReply(bytes.substr(0, i), op, &part);
    if (p.status != ReplyStatus::kIncomplete) {
      ADD_FAILURE() << "prefix of " << i << " bytes: status " << static_cast<int>(p.status);
      failed = true;
    }
    ReplyParse h = ParseReplyHead(bytes.substr(0, i), op, &part);
    if (i < head.consumed) {
      if (h.status != ReplyStatus::kIncomplete) {
        ADD_FAILURE() << "head prefix of " << i << " bytes not incomplete";
        failed = true;
      }
      continue;
    }
    // The head is whole: stream the value in two pieces, split at i.
    if (h.status != ReplyStatus::kOk || h.consumed != head.consumed) {
      ADD_FAILURE() << "head with " << i << " bytes differs";
      failed = true;
      continue;
    }
    ValueReader reader(h.value_length, h.trailer);
    std::string_view first, second;
    size_t used1 = reader.Feed(bytes.substr(h.consumed, i - h.consumed), &first);
    size_t used2 = reader.Feed(bytes.substr(i, whole.consumed - i), &second);
    if (!reader.done() || reader.bad_trailer() || h.consumed + used1 + used2 != whole.consumed ||
        first.size() + second.size() != h.value_length ||
        (!first.empty() && first.data() != bytes.data() + h.consumed)) {
      ADD_FAILURE() << "streamed value split at " << i << " differs";
      failed = true;
    }
  }
  if (!failed) {
    // The same bytes in a larger buffer parse the same.
    Result again;
    ReplyParse p = ParseReply(bytes.substr(0, whole.consumed), op, &again);
    EXPECT_EQ(p.consumed, whole.consumed);
    ExpectSameResult(*r, again, "exact buffer");
  }
  return whole;
}

}  // namespace memfleet::protocol::meta::testing
