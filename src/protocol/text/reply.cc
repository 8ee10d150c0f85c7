#include "protocol/text/reply.h"

#include <cstring>

namespace memfleet::protocol::text {
namespace {

// "00" "01" ... "99": two digits per division keeps FormatUint64 at ~10 divisions worst case.
constexpr char kDigitPairs[] =
    "00010203040506070809"
    "10111213141516171819"
    "20212223242526272829"
    "30313233343536373839"
    "40414243444546474849"
    "50515253545556575859"
    "60616263646566676869"
    "70717273747576777879"
    "80818283848586878889"
    "90919293949596979899";

size_t DecimalLength(uint64_t value) {
  size_t length = 1;
  while (value >= 10000) {
    value /= 10000;
    length += 4;
  }
  if (value >= 1000) return length + 3;
  if (value >= 100) return length + 2;
  if (value >= 10) return length + 1;
  return length;
}

char* Append(char* p, std::string_view s) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

char* AppendCrlf(char* p) {
  p[0] = '\r';
  p[1] = '\n';
  return p + 2;
}

}  // namespace

size_t FormatUint64(char* dst, uint64_t value) {
  const size_t length = DecimalLength(value);
  char* p = dst + length;
  while (value >= 100) {
    const size_t pair = static_cast<size_t>(value % 100) * 2;
    value /= 100;
    p -= 2;
    std::memcpy(p, kDigitPairs + pair, 2);
  }
  if (value >= 10) {
    std::memcpy(p - 2, kDigitPairs + value * 2, 2);
  } else {
    p[-1] = static_cast<char>('0' + value);
  }
  return length;
}

size_t FormatNumberLine(char* dst, uint64_t value) {
  char* p = dst + FormatUint64(dst, value);
  return static_cast<size_t>(AppendCrlf(p) - dst);
}

size_t FormatValueHeader(char* dst, std::string_view key, uint32_t flags, uint32_t value_length,
                         bool with_cas, uint64_t cas) {
  char* p = Append(dst, "VALUE ");
  p = Append(p, key);
  *p++ = ' ';
  p += FormatUint64(p, flags);
  *p++ = ' ';
  p += FormatUint64(p, value_length);
  if (with_cas) {
    *p++ = ' ';
    p += FormatUint64(p, cas);
  }
  return static_cast<size_t>(AppendCrlf(p) - dst);
}

size_t FormatErrorLine(char* dst, std::string_view error) {
  return static_cast<size_t>(AppendCrlf(Append(dst, error)) - dst);
}

size_t FormatStatLine(char* dst, std::string_view name, std::string_view value) {
  char* p = Append(dst, kReplyStatPrefix);
  p = Append(p, name);
  *p++ = ' ';
  p = Append(p, value);
  return static_cast<size_t>(AppendCrlf(p) - dst);
}

size_t FormatStatLine(char* dst, std::string_view name, uint64_t value) {
  char* p = Append(dst, kReplyStatPrefix);
  p = Append(p, name);
  *p++ = ' ';
  p += FormatUint64(p, value);
  return static_cast<size_t>(AppendCrlf(p) - dst);
}

}  // namespace memfleet::protocol::text
