// Keys: the one place that says what a memcached key may be, for every protocol.
//
// memcached takes keys of 1 to 250 bytes in all three protocols. The text and meta protocols
// split a command line on spaces and end it at "\r\n", so a key with a space or a control byte
// cannot travel in them as is: the meta protocol then carries it base64-encoded (flag b), which
// is how a router forwards a binary client's key upstream. Pure functions: any thread.
#pragma once

#include <cstddef>
#include <string_view>

namespace memfleet::protocol {

inline constexpr size_t kKeyMaxLength = 250;

// 1..250 bytes: the rule every protocol applies.
inline constexpr bool KeyLengthOk(std::string_view key) {
  return !key.empty() && key.size() <= kKeyMaxLength;
}

// True when the text and meta protocols can carry the key as is: every byte is printable ASCII
// other than space (0x21..0x7e). Other keys go base64 in meta requests.
inline constexpr bool KeyIsTextSafe(std::string_view key) {
  for (char c : key) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return false;
  }
  return true;
}

}  // namespace memfleet::protocol
