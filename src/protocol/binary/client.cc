#include "protocol/binary/client.h"

#include "protocol/binary/opcodes.h"

namespace memfleet::protocol::binary {

namespace {

using protocol::Op;
using protocol::ResultCode;

// Whether a binary opcode (by its base) can carry a neutral op.
bool Fits(Op op, Opcode base) {
  switch (base) {
    case Opcode::kGet:
    case Opcode::kGetK:
      return op == Op::kGet || op == Op::kGets;
    case Opcode::kGat:
    case Opcode::kGatK:
      return op == Op::kGat || op == Op::kGats;
    case Opcode::kTouch:
      return op == Op::kTouch;
    case Opcode::kSet:
      return op == Op::kSet || op == Op::kCas;
    case Opcode::kAdd:
      return op == Op::kAdd || op == Op::kCas;
    case Opcode::kReplace:
      return op == Op::kReplace || op == Op::kCas;
    case Opcode::kAppend:
      return op == Op::kAppend;
    case Opcode::kPrepend:
      return op == Op::kPrepend;
    case Opcode::kDelete:
      return op == Op::kDelete;
    case Opcode::kIncrement:
      return op == Op::kIncr;
    case Opcode::kDecrement:
      return op == Op::kDecr;
    case Opcode::kNoop:
      return op == Op::kNoop;
    case Opcode::kVersion:
      return op == Op::kVersion;
    case Opcode::kStat:
      return op == Op::kStats;
    case Opcode::kFlush:
      return op == Op::kFlushAll;
    case Opcode::kQuit:
      return op == Op::kQuit;
    case Opcode::kVerbosity:
      return op == Op::kVerbosity;
    default:
      return false;
  }
}

uint8_t Pick(bool quiet, Opcode loud, Opcode q) { return static_cast<uint8_t>(quiet ? q : loud); }

// The digits at the front of s (verbosity's level), saturating; 0 when there are none.
uint32_t LeadingNumber(std::string_view s) {
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') break;
    v = v * 10 + static_cast<uint64_t>(c - '0');
    if (v > 0xffffffffu) return 0xffffffffu;
  }
  return static_cast<uint32_t>(v);
}

void ComposeHead(const protocol::Request& req, uint32_t value_length, std::string* out) {
  uint8_t opcode = 0;
  if (!OpcodeFor(req, &opcode)) return;
  bool quiet = false;
  Opcode base = BaseOf(opcode, &quiet);
  char extras[kDeltaExtrasSize];
  size_t extras_length = 0;
  std::string_view key;
  uint64_t cas = 0;
  switch (base) {
    case Opcode::kSet:
    case Opcode::kAdd:
    case Opcode::kReplace:
      StoreBe32(extras, req.client_flags);
      StoreBe32(extras + 4, static_cast<uint32_t>(req.exptime));
      extras_length = kStoreExtrasSize;
      key = req.key;
      cas = req.cas;
      break;
    case Opcode::kAppend:
    case Opcode::kPrepend:
    case Opcode::kDelete:
      key = req.key;
      cas = req.cas;
      break;
    case Opcode::kIncrement:
    case Opcode::kDecrement:
      StoreBe64(extras, req.delta);
      StoreBe64(extras + 8, req.initial);
      StoreBe32(extras + 16, req.create ? static_cast<uint32_t>(req.exptime) : kNoCreate);
      extras_length = kDeltaExtrasSize;
      key = req.key;
      cas = req.cas;
      break;
    case Opcode::kTouch:
    case Opcode::kGat:
    case Opcode::kGatK:
      StoreBe32(extras, static_cast<uint32_t>(req.exptime));
      extras_length = kExptimeExtrasSize;
      key = req.key;
      break;
    case Opcode::kGet:
    case Opcode::kGetK:
      key = req.key;
      break;
    case Opcode::kFlush:
      if (req.has_number || req.exptime != 0) {
        StoreBe32(extras, static_cast<uint32_t>(req.exptime));
        extras_length = kExptimeExtrasSize;
      }
      break;
    case Opcode::kVerbosity:
      StoreBe32(extras, LeadingNumber(req.args));
      extras_length = kExptimeExtrasSize;
      break;
    case Opcode::kStat:
      key = req.args;
      break;
    default:
      break;
  }
  if (!IsStoreOpcode(base)) value_length = 0;
  Header h;
  h.magic = kRequestMagic;
  h.opcode = opcode;
  h.key_length = static_cast<uint16_t>(key.size());
  h.extras_length = static_cast<uint8_t>(extras_length);
  h.body_length = static_cast<uint32_t>(extras_length + key.size()) + value_length;
  h.opaque = req.opaque;
  h.cas = cas;
  size_t at = out->size();
  out->resize(at + kHeaderSize);
  EncodeHeader(h, out->data() + at);
  out->append(extras, extras_length);
  out->append(key);
}

}  // namespace

bool ToNeutral(const Request& parsed, std::string_view value, protocol::Request* out) {
  const Header& h = parsed.header;
  OpcodeInfo info = DescribeOpcode(h.opcode);
  if (!info.known) return false;
  protocol::Request r;
  r.protocol = protocol::Protocol::kBinary;
  r.noreply = info.quiet;
  r.opaque = h.opaque;
  r.binary_opcode = h.opcode;
  switch (info.base) {
    case Opcode::kGet:
    case Opcode::kGetK:
      r.op = Op::kGet;
      r.key = parsed.key;
      break;
    case Opcode::kGat:
    case Opcode::kGatK:
    case Opcode::kTouch:
      r.op = info.base == Opcode::kTouch ? Op::kTouch : Op::kGat;
      r.key = parsed.key;
      r.exptime = DecodeExptimeExtras(parsed.extras);
      break;
    case Opcode::kSet:
    case Opcode::kAdd:
    case Opcode::kReplace: {
      // A cas in the header makes any of the three a compare-and-swap (memcached's NREAD_CAS).
      r.op = h.cas != 0                  ? Op::kCas
             : info.base == Opcode::kSet ? Op::kSet
             : info.base == Opcode::kAdd ? Op::kAdd
                                         : Op::kReplace;
      StoreExtras ex = DecodeStoreExtras(parsed.extras);
      r.key = parsed.key;
      r.client_flags = ex.flags;
      r.exptime = ex.exptime;
      r.cas = h.cas;
      r.value = value;
      r.value_length = parsed.value_length;
      break;
    }
    case Opcode::kAppend:
    case Opcode::kPrepend:
      r.op = info.base == Opcode::kAppend ? Op::kAppend : Op::kPrepend;
      r.key = parsed.key;
      r.cas = h.cas;
      r.value = value;
      r.value_length = parsed.value_length;
      break;
    case Opcode::kDelete:
      r.op = Op::kDelete;
      r.key = parsed.key;
      r.cas = h.cas;
      break;
    case Opcode::kIncrement:
    case Opcode::kDecrement: {
      r.op = info.base == Opcode::kIncrement ? Op::kIncr : Op::kDecr;
      DeltaExtras ex = DecodeDeltaExtras(parsed.extras);
      r.key = parsed.key;
      r.delta = ex.delta;
      r.initial = ex.initial;
      r.exptime = ex.exptime;
      r.create = ex.exptime != kNoCreate;
      r.cas = h.cas;
      break;
    }
    case Opcode::kNoop:
      r.op = Op::kNoop;
      break;
    case Opcode::kVersion:
      r.op = Op::kVersion;
      break;
    case Opcode::kStat:
      r.op = Op::kStats;
      r.args = parsed.key;
      break;
    case Opcode::kFlush:
      r.op = Op::kFlushAll;
      r.exptime = DecodeExptimeExtras(parsed.extras);
      r.has_number = parsed.extras.size() == kExptimeExtrasSize;
      break;
    case Opcode::kQuit:
      r.op = Op::kQuit;
      break;
    default:  // SASL: connection-level, no neutral form
      return false;
  }
  *out = r;
  return true;
}

bool OpcodeFor(const protocol::Request& req, uint8_t* opcode) {
  if (req.protocol == protocol::Protocol::kBinary) {
    bool quiet = false;
    if (Fits(req.op, BaseOf(req.binary_opcode, &quiet))) {
      *opcode = req.binary_opcode;
      return true;
    }
  }
  const bool q = req.noreply;
  switch (req.op) {
    case Op::kGet:
    case Op::kGets:
      *opcode = Pick(q, Opcode::kGet, Opcode::kGetQ);
      return true;
    case Op::kGat:
    case Op::kGats:
      *opcode = Pick(q, Opcode::kGat, Opcode::kGatQ);
      return true;
    case Op::kTouch:  // no quiet touch in the protocol
      *opcode = static_cast<uint8_t>(Opcode::kTouch);
      return true;
    case Op::kSet:
    case Op::kCas:
      *opcode = Pick(q, Opcode::kSet, Opcode::kSetQ);
      return true;
    case Op::kAdd:
      *opcode = Pick(q, Opcode::kAdd, Opcode::kAddQ);
      return true;
    case Op::kReplace:
      *opcode = Pick(q, Opcode::kReplace, Opcode::kReplaceQ);
      return true;
    case Op::kAppend:
      *opcode = Pick(q, Opcode::kAppend, Opcode::kAppendQ);
      return true;
    case Op::kPrepend:
      *opcode = Pick(q, Opcode::kPrepend, Opcode::kPrependQ);
      return true;
    case Op::kDelete:
      *opcode = Pick(q, Opcode::kDelete, Opcode::kDeleteQ);
      return true;
    case Op::kIncr:
      *opcode = Pick(q, Opcode::kIncrement, Opcode::kIncrementQ);
      return true;
    case Op::kDecr:
      *opcode = Pick(q, Opcode::kDecrement, Opcode::kDecrementQ);
      return true;
    case Op::kNoop:
      *opcode = static_cast<uint8_t>(Opcode::kNoop);
      return true;
    case Op::kVersion:
      *opcode = static_cast<uint8_t>(Opcode::kVersion);
      return true;
    case Op::kStats:
      *opcode = static_cast<uint8_t>(Opcode::kStat);
      return true;
    case Op::kFlushAll:
      *opcode = Pick(q, Opcode::kFlush, Opcode::kFlushQ);
      return true;
    case Op::kQuit:
      *opcode = Pick(q, Opcode::kQuit, Opcode::kQuitQ);
      return true;
    case Op::kVerbosity:
      // memcached 1.6 answers VERBOSITY "Unknown command" and then swallows body_length bytes
      // of the next request: never send it upstream. (A binary client's own VERBOSITY request
      // keeps its opcode above, so that its reply can still be composed.)
    case Op::kMetaDebug:
      return false;
  }
  return false;
}

void ComposeRequestHead(const protocol::Request& req, std::string* out) {
  ComposeHead(req, req.value_length, out);
}

void ComposeRequest(const protocol::Request& req, std::string* out) {
  uint8_t opcode = 0;
  if (!OpcodeFor(req, &opcode)) return;
  bool quiet = false;
  bool store = IsStoreOpcode(BaseOf(opcode, &quiet));
  ComposeHead(req, store ? static_cast<uint32_t>(req.value.size()) : 0, out);
  if (store) out->append(req.value);
}

}  // namespace memfleet::protocol::binary
