// Decimal numbers as memcached's text protocol reads them.
//
// memcached parses numeric tokens with strtoul/strtol/strtoull (glibc, 64-bit long) wrapped in
// its safe_strto* helpers, and clients depend on the quirks that follow: leading whitespace and a
// '+' are accepted, the number may be followed by whitespace other than a space (a tab is not a
// separator), 32-bit results are silently truncated from 64 bits, and a '-' is refused only when
// the negated value looks negative as a signed number ("-0" is 0, "-18446744073709551615" is 1).
// These functions reproduce that byte for byte. Pure functions: any thread may call them.
#pragma once

#include <cstdint>
#include <string_view>

namespace memfleet::protocol::text {

// memcached's safe_strtoull: flags-free 64-bit unsigned (cas, incr/decr delta).
// Returns false (and leaves *out unspecified) when memcached would refuse the token.
bool ParseUint64(std::string_view token, uint64_t* out);

// memcached's safe_strtoul: like ParseUint64, then truncated to 32 bits (client flags,
// verbosity, cache_memlimit): "4294967296" is 0.
bool ParseUint32(std::string_view token, uint32_t* out);

// memcached's safe_strtol: a signed 64-bit value (out of range is refused) truncated to 32 bits
// (exptime, value length, flush_all delay): "4294967297" is 1, "2147483648" is INT32_MIN.
bool ParseInt32(std::string_view token, int32_t* out);

// memcached's safe_strtod: strtod in the C locale, followed by whitespace or the end of the token
// (`slabs automove ratio`, `lru tune` factors).
bool ParseDouble(std::string_view token, double* out);

}  // namespace memfleet::protocol::text
