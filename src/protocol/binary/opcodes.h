// Opcode families of the binary protocol, for the client-side code (client.cc, client_reply.cc):
// which base command an opcode is, and which families share a response layout. Constexpr
// functions over opcodes; any thread.
#pragma once

#include <cstdint>

#include "protocol/binary/binary.h"

namespace memfleet::protocol::binary {

// DescribeOpcode's base, with VERBOSITY (which memcached does not implement but a neutral
// verbosity request composes to) and any unknown opcode as kVerbosity; *quiet for q variants.
inline Opcode BaseOf(uint8_t opcode, bool* quiet) {
  *quiet = false;
  if (opcode == static_cast<uint8_t>(Opcode::kVerbosity)) return Opcode::kVerbosity;
  OpcodeInfo info = DescribeOpcode(opcode);
  *quiet = info.quiet;
  return info.known ? info.base : Opcode::kVerbosity;
}

// get/getk/gat/gatk: hits carry flags extras and the value.
constexpr bool IsGetFamily(Opcode base) {
  return base == Opcode::kGet || base == Opcode::kGetK || base == Opcode::kGat ||
         base == Opcode::kGatK;
}

// getk/gatk: responses carry the key (hits and misses).
constexpr bool ReturnsKey(Opcode base) { return base == Opcode::kGetK || base == Opcode::kGatK; }

// The opcodes whose requests carry a data block.
constexpr bool IsStoreOpcode(Opcode base) {
  return base == Opcode::kSet || base == Opcode::kAdd || base == Opcode::kReplace ||
         base == Opcode::kAppend || base == Opcode::kPrepend;
}

}  // namespace memfleet::protocol::binary
