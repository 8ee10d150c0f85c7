#include "protocol/text/number.h"

#include <cstdlib>

namespace memfleet::protocol::text {
namespace {

// isspace() in the C locale.
bool IsCSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// What strtoull/strtoll(token, &end, 10) see: optional whitespace, optional sign, digits.
struct DecimalScan {
  bool negative = false;
  bool overflow = false;  // the magnitude does not fit in 64 bits
  uint64_t magnitude = 0;
};

// Returns false when strto* would convert nothing, or when the number is followed by something
// other than whitespace or the end of the token (memcached's check on endptr).
bool ScanDecimal(std::string_view token, DecimalScan* scan) {
  size_t i = 0;
  while (i < token.size() && IsCSpace(token[i])) ++i;
  if (i < token.size() && (token[i] == '+' || token[i] == '-')) {
    scan->negative = token[i] == '-';
    ++i;
  }
  const size_t digits_start = i;
  while (i < token.size() && token[i] >= '0' && token[i] <= '9') {
    const uint64_t digit = static_cast<uint64_t>(token[i] - '0');
    if (scan->magnitude > (UINT64_MAX - digit) / 10) {
      scan->overflow = true;
    } else {
      scan->magnitude = scan->magnitude * 10 + digit;
    }
    ++i;
  }
  if (i == digits_start) return false;
  return i == token.size() || IsCSpace(token[i]);
}

}  // namespace

bool ParseUint64(std::string_view token, uint64_t* out) {
  DecimalScan scan;
  if (!ScanDecimal(token, &scan) || scan.overflow) return false;
  // strtoull negates in unsigned arithmetic; memcached then refuses a '-' only when the result
  // would be negative as a signed number.
  const uint64_t value = scan.negative ? 0 - scan.magnitude : scan.magnitude;
  if (scan.negative && static_cast<int64_t>(value) < 0) return false;
  *out = value;
  return true;
}

bool ParseUint32(std::string_view token, uint32_t* out) {
  uint64_t value;
  if (!ParseUint64(token, &value)) return false;
  *out = static_cast<uint32_t>(value);
  return true;
}

bool ParseInt32(std::string_view token, int32_t* out) {
  DecimalScan scan;
  if (!ScanDecimal(token, &scan) || scan.overflow) return false;
  // strtol's ERANGE: outside [INT64_MIN, INT64_MAX].
  const uint64_t limit = scan.negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  if (scan.magnitude > limit) return false;
  const uint64_t value = scan.negative ? 0 - scan.magnitude : scan.magnitude;
  *out = static_cast<int32_t>(static_cast<uint32_t>(value));
  return true;
}

bool ParseDouble(std::string_view token, double* out) {
  // strtod needs a terminated string; a number token longer than this is no number memcached
  // would read either (its command lines are at most 2048 bytes, split in tokens).
  char buf[128];
  if (token.empty() || token.size() >= sizeof(buf)) return false;
  token.copy(buf, token.size());
  buf[token.size()] = '\0';
  char* end = nullptr;
  const double value = std::strtod(buf, &end);
  if (end == buf) return false;
  if (end != buf + token.size() && !IsCSpace(*end)) return false;
  *out = value;
  return true;
}

}  // namespace memfleet::protocol::text
