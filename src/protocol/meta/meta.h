// Meta protocol (mg ms md ma mn me): pure parsing of a meta command's flag tokens and pure
// composition of its reply line, as memcached 1.6.18 does them.
//
// The text parser (protocol/text/request.h) splits a meta command line into tokens; ParseMetaFlags
// reads the flag tokens (those after the key, and after the data length for ms) into a MetaFlags
// and reports the exact error line memcached would send. MetaReplyWriter composes a reply line
// ("HD", "VA <len>", "EN", ... followed by the returned flags) into caller memory. Nothing here
// allocates, does I/O or keeps state: the server, the router and the client share it, and any
// thread may call it. Views in MetaFlags point into the caller's tokens or key buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "protocol/key.h"

namespace memfleet::protocol::meta {

inline constexpr size_t kMaxOpaqueLength = 32;  // memcached's MFLAG_MAX_OPAQUE_LENGTH
inline constexpr size_t kKeyMaxLength = protocol::kKeyMaxLength;
// Room a reply line can ever need: code, a length, every returned flag (one base64 key of at
// most 340 bytes, an opaque of at most 32), W/X/Z and "\r\n".
inline constexpr size_t kMaxReplyLineSize = 1024;

enum class MetaCommand : uint8_t { kGet, kSet, kDelete, kArithmetic };

// What a meta command's flags asked for. Numbers are kept as sent (exptimes are converted by the
// caller, which knows the clock).
struct MetaFlags {
  uint64_t seen_lo = 0;  // bit c set when flag character c (< 64) was given
  uint64_t seen_hi = 0;  // bit c - 64 for characters 64..126
  bool Has(char c) const {
    auto u = static_cast<unsigned char>(c);
    return u < 64 ? (seen_lo >> u) & 1 : u < 127 ? (seen_hi >> (u - 64)) & 1 : false;
  }

  std::string_view key;       // the key to use: decoded when base64 (b), else the token as sent
  bool key_binary = false;    // b
  bool value = false;         // v
  bool quiet = false;         // q
  bool no_update = false;     // u
  bool vivify = false;        // N
  bool touch = false;         // T
  bool recache = false;       // R
  bool has_cas = false;       // C
  bool set_stale = false;     // I
  int32_t vivify_ttl = 0;     // N<ttl>
  int32_t ttl = 0;            // T<ttl>
  int32_t recache_ttl = 0;    // R<ttl>
  uint32_t client_flags = 0;  // F
  uint64_t cas = 0;           // C
  uint64_t delta = 1;         // D (ma)
  uint64_t initial = 0;       // J (ma)
  char mode = 0;              // M<mode>, 0 when not given
  std::string_view opaque;    // the whole O token (with the 'O'), empty when not given
};

// Parses flag tokens in memcached's _meta_flag_preparse order. `key` is the key token; with the
// b flag it is base64-decoded into key_buf (which must have room for key.size() bytes) and
// flags->key points there. Returns an empty view on success, else the error line without
// "\r\n" ("CLIENT_ERROR duplicate flag", "CLIENT_ERROR invalid flag", ...). Also checks the
// opaque length, which memcached checks while composing the reply.
std::string_view ParseMetaFlags(MetaCommand cmd, std::string_view key,
                                std::span<const std::string_view> tokens, char* key_buf,
                                MetaFlags* flags);

// memcached's base64 (RFC 4648 with padding). Decode returns 0 on malformed input or when the
// result would not fit in `cap`. Encode REQUIRES cap >= Base64EncodedSize(n).
size_t Base64Decode(std::string_view in, char* out, size_t cap);
inline constexpr size_t Base64EncodedSize(size_t n) { return (n + 2) / 3 * 4; }
size_t Base64Encode(std::string_view in, char* out);

// Writes one reply line into caller memory of at least kMaxReplyLineSize bytes.
class MetaReplyWriter {
 public:
  explicit MetaReplyWriter(char* dst) : start_(dst), p_(dst) {}
  // "HD", "EN", "NF", "NS", "EX", "MN" ...
  void Code(std::string_view code);
  // "VA <len>"
  void Value(uint32_t length);
  // " <c><number>"
  void Flag(char c, uint64_t n);
  // " t-1" or " t<n>"
  void Ttl(bool never, uint32_t remaining);
  // " <c>" (W, X, Z, or a bare echo like ms's "k")
  void Char(char c);
  // " O..." as sent (the token includes the 'O')
  void Opaque(std::string_view token);
  // " k<key>" or, for a binary key, " k<base64> b"
  void Key(std::string_view key, bool binary);
  // "\r\n"; returns the line's size.
  size_t End();
  size_t size() const { return static_cast<size_t>(p_ - start_); }

 private:
  char* start_;
  char* p_;
};

}  // namespace memfleet::protocol::meta
