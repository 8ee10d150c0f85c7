#include "protocol/binary/binary.h"

namespace memfleet::protocol::binary {

uint16_t LoadBe16(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint16_t>((u[0] << 8) | u[1]);
}

uint32_t LoadBe32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | u[3];
}

uint64_t LoadBe64(const char* p) { return (uint64_t{LoadBe32(p)} << 32) | LoadBe32(p + 4); }

namespace {

void StoreBe16(char* p, uint16_t v) {
  p[0] = static_cast<char>(v >> 8);
  p[1] = static_cast<char>(v);
}

}  // namespace

void StoreBe32(char* p, uint32_t v) {
  p[0] = static_cast<char>(v >> 24);
  p[1] = static_cast<char>(v >> 16);
  p[2] = static_cast<char>(v >> 8);
  p[3] = static_cast<char>(v);
}

void StoreBe64(char* p, uint64_t v) {
  StoreBe32(p, static_cast<uint32_t>(v >> 32));
  StoreBe32(p + 4, static_cast<uint32_t>(v));
}

Header DecodeHeader(const char* src) {
  Header h;
  h.magic = static_cast<uint8_t>(src[0]);
  h.opcode = static_cast<uint8_t>(src[1]);
  h.key_length = LoadBe16(src + 2);
  h.extras_length = static_cast<uint8_t>(src[4]);
  h.data_type = static_cast<uint8_t>(src[5]);
  h.vbucket_or_status = LoadBe16(src + 6);
  h.body_length = LoadBe32(src + 8);
  h.opaque = LoadBe32(src + 12);
  h.cas = LoadBe64(src + 16);
  return h;
}

void EncodeHeader(const Header& h, char* dst) {
  dst[0] = static_cast<char>(h.magic);
  dst[1] = static_cast<char>(h.opcode);
  StoreBe16(dst + 2, h.key_length);
  dst[4] = static_cast<char>(h.extras_length);
  dst[5] = static_cast<char>(h.data_type);
  StoreBe16(dst + 6, h.vbucket_or_status);
  StoreBe32(dst + 8, h.body_length);
  StoreBe32(dst + 12, h.opaque);
  StoreBe64(dst + 16, h.cas);
}

void EncodeResponseHeader(char* dst, uint8_t opcode, Status status, uint16_t key_length,
                          uint8_t extras_length, uint32_t body_length, uint32_t opaque,
                          uint64_t cas) {
  Header h;
  h.magic = kResponseMagic;
  h.opcode = opcode;
  h.key_length = key_length;
  h.extras_length = extras_length;
  h.vbucket_or_status = static_cast<uint16_t>(status);
  h.body_length = body_length;
  h.opaque = opaque;
  h.cas = cas;
  EncodeHeader(h, dst);
}

ParseResult ParseRequest(std::string_view buf, Request* req) {
  ParseResult r;
  // memcached waits for a whole header before it looks at the magic; so do we.
  if (buf.size() < kHeaderSize) return r;
  if (static_cast<uint8_t>(buf[0]) != kRequestMagic) {
    r.status = ParseStatus::kBadMagic;
    return r;
  }
  Header h = DecodeHeader(buf.data());
  uint64_t prefix = uint64_t{h.extras_length} + h.key_length;
  if (prefix > h.body_length) {
    req->header = h;
    r.status = ParseStatus::kKeyPastBody;
    r.consumed = kHeaderSize;
    return r;
  }
  if (buf.size() < kHeaderSize + prefix) return r;
  req->header = h;
  req->extras = std::span<const char>(buf.data() + kHeaderSize, h.extras_length);
  req->key = std::string_view(buf.data() + kHeaderSize + h.extras_length, h.key_length);
  req->value_length = static_cast<uint32_t>(h.body_length - prefix);
  r.status = ParseStatus::kOk;
  r.consumed = kHeaderSize + static_cast<size_t>(prefix);
  return r;
}

OpcodeInfo DescribeOpcode(uint8_t opcode) {
  OpcodeInfo info;
  info.known = true;
  switch (static_cast<Opcode>(opcode)) {
    case Opcode::kGetQ:
      info.base = Opcode::kGet;
      info.quiet = true;
      return info;
    case Opcode::kGetKQ:
      info.base = Opcode::kGetK;
      info.quiet = true;
      return info;
    case Opcode::kSetQ:
      info.base = Opcode::kSet;
      info.quiet = true;
      return info;
    case Opcode::kAddQ:
      info.base = Opcode::kAdd;
      info.quiet = true;
      return info;
    case Opcode::kReplaceQ:
      info.base = Opcode::kReplace;
      info.quiet = true;
      return info;
    case Opcode::kDeleteQ:
      info.base = Opcode::kDelete;
      info.quiet = true;
      return info;
    case Opcode::kIncrementQ:
      info.base = Opcode::kIncrement;
      info.quiet = true;
      return info;
    case Opcode::kDecrementQ:
      info.base = Opcode::kDecrement;
      info.quiet = true;
      return info;
    case Opcode::kQuitQ:
      info.base = Opcode::kQuit;
      info.quiet = true;
      return info;
    case Opcode::kFlushQ:
      info.base = Opcode::kFlush;
      info.quiet = true;
      return info;
    case Opcode::kAppendQ:
      info.base = Opcode::kAppend;
      info.quiet = true;
      return info;
    case Opcode::kPrependQ:
      info.base = Opcode::kPrepend;
      info.quiet = true;
      return info;
    case Opcode::kGatQ:
      info.base = Opcode::kGat;
      info.quiet = true;
      return info;
    case Opcode::kGatKQ:
      info.base = Opcode::kGatK;
      info.quiet = true;
      return info;
    case Opcode::kGet:
    case Opcode::kSet:
    case Opcode::kAdd:
    case Opcode::kReplace:
    case Opcode::kDelete:
    case Opcode::kIncrement:
    case Opcode::kDecrement:
    case Opcode::kQuit:
    case Opcode::kFlush:
    case Opcode::kNoop:
    case Opcode::kVersion:
    case Opcode::kGetK:
    case Opcode::kAppend:
    case Opcode::kPrepend:
    case Opcode::kStat:
    case Opcode::kTouch:
    case Opcode::kGat:
    case Opcode::kGatK:
    case Opcode::kSaslListMechs:
    case Opcode::kSaslAuth:
    case Opcode::kSaslStep:
      info.base = static_cast<Opcode>(opcode);
      return info;
    case Opcode::kVerbosity:  // defined by the protocol, not implemented by memcached 1.6
      break;
  }
  info.known = false;
  return info;
}

Status CheckRequestShape(const Request& req) {
  const Header& h = req.header;
  uint32_t ext = h.extras_length;
  uint32_t key = h.key_length;
  uint32_t body = h.body_length;
  bool ok = false;
  switch (DescribeOpcode(h.opcode).base) {
    case Opcode::kVersion:
    case Opcode::kNoop:
    case Opcode::kQuit:
    case Opcode::kSaslListMechs:
      ok = ext == 0 && key == 0 && body == 0;
      break;
    case Opcode::kFlush:
      ok = key == 0 && body == ext && (ext == 0 || ext == 4);
      break;
    case Opcode::kSet:
    case Opcode::kAdd:
    case Opcode::kReplace:
      ok = ext == 8 && key != 0 && body >= key + 8;
      break;
    case Opcode::kGet:
    case Opcode::kGetK:
      ok = ext == 0 && body == key && key > 0;
      break;
    case Opcode::kDelete:
      ok = key > 0 && ext == 0 && body == key;
      break;
    case Opcode::kIncrement:
    case Opcode::kDecrement:
      ok = key > 0 && ext == 20 && body == key + ext;
      break;
    case Opcode::kAppend:
    case Opcode::kPrepend:
      ok = key > 0 && ext == 0;
      break;
    case Opcode::kStat:
      ok = ext == 0;
      break;
    case Opcode::kSaslAuth:
    case Opcode::kSaslStep:
      ok = ext == 0 && key != 0;
      break;
    case Opcode::kTouch:
    case Opcode::kGat:
    case Opcode::kGatK:
      ok = ext == 4 && key != 0;
      break;
    default:
      ok = false;
      break;
  }
  return ok ? Status::kSuccess : Status::kInvalidArguments;
}

StoreExtras DecodeStoreExtras(std::span<const char> extras) {
  StoreExtras e;
  if (extras.size() >= 8) {
    e.flags = LoadBe32(extras.data());
    e.exptime = LoadBe32(extras.data() + 4);
  }
  return e;
}

DeltaExtras DecodeDeltaExtras(std::span<const char> extras) {
  DeltaExtras e;
  if (extras.size() >= 20) {
    e.delta = LoadBe64(extras.data());
    e.initial = LoadBe64(extras.data() + 8);
    e.exptime = LoadBe32(extras.data() + 16);
  }
  return e;
}

uint32_t DecodeExptimeExtras(std::span<const char> extras) {
  return extras.size() >= 4 ? LoadBe32(extras.data()) : 0;
}

}  // namespace memfleet::protocol::binary
