#include "router/writelog/record.h"

#include <cstring>

#include "protocol/meta/meta.h"
#include "router/hash/crc32.h"

namespace memfleet::router::writelog {
namespace {

using protocol::Op;

// Op codes on disk are the log's own, so that reordering protocol::Op never changes a file.
uint8_t OpCode(Op op) {
  switch (op) {
    case Op::kSet:
      return 1;
    case Op::kAdd:
      return 2;
    case Op::kReplace:
      return 3;
    case Op::kAppend:
      return 4;
    case Op::kPrepend:
      return 5;
    case Op::kDelete:
      return 6;
    case Op::kTouch:
      return 7;
    case Op::kIncr:
      return 8;
    case Op::kDecr:
      return 9;
    default:
      return 0;
  }
}

bool OpFromCode(uint8_t code, Op* op) {
  static constexpr Op kOps[] = {Op::kSet,    Op::kAdd,   Op::kReplace, Op::kAppend, Op::kPrepend,
                                Op::kDelete, Op::kTouch, Op::kIncr,    Op::kDecr};
  if (code < 1 || code > std::size(kOps)) return false;
  *op = kOps[code - 1];
  return true;
}

void Put32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void Put64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void Put16(std::string* out, uint16_t v) {
  out->push_back(static_cast<char>(v & 0xff));
  out->push_back(static_cast<char>(v >> 8));
}
uint64_t GetN(const char* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
uint32_t Get32(const char* p) { return static_cast<uint32_t>(GetN(p, 4)); }
uint64_t Get64(const char* p) { return GetN(p, 8); }
void Set32(std::string* out, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) (*out)[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

constexpr size_t kHeaderCrcAt = 48;

uint32_t HeaderCrc(std::string_view header) {
  // The checksum field itself counts as zero.
  std::string copy(header);
  std::memset(copy.data() + kHeaderCrcAt, 0, 4);
  return hash::Crc32(copy);
}

}  // namespace

bool IsLogged(Op op) {
  switch (op) {
    case Op::kSet:
    case Op::kAdd:
    case Op::kReplace:
    case Op::kAppend:
    case Op::kPrepend:
    case Op::kCas:
    case Op::kDelete:
    case Op::kTouch:
    case Op::kGat:
    case Op::kGats:
    case Op::kIncr:
    case Op::kDecr:
      return true;
    default:
      return false;
  }
}

Status FromRequest(const protocol::Request& req, LogRecord* out) {
  if (!IsLogged(req.op)) {
    return Status::InvalidArgument("write log: " + std::string(protocol::OpName(req.op)) +
                                   " is not a logged operation");
  }
  LogRecord r;
  r.op = req.op;
  if (r.op == Op::kCas) r.op = Op::kSet;  // see the header: the cas means nothing elsewhere
  if (r.op == Op::kGat || r.op == Op::kGats) r.op = Op::kTouch;
  if (req.protocol == protocol::Protocol::kMeta && req.meta.base64_key) {
    r.key.resize(req.key.size());
    size_t n = protocol::meta::Base64Decode(req.key, r.key.data(), r.key.size());
    if (n == 0) return Status::InvalidArgument("write log: the base64 key does not decode");
    r.key.resize(n);
  } else {
    r.key.assign(req.key);
  }
  if (r.key.size() > 0xffff) return Status::InvalidArgument("write log: key too long");
  switch (r.op) {
    case Op::kSet:
    case Op::kAdd:
    case Op::kReplace:
    case Op::kAppend:
    case Op::kPrepend:
      if (req.value.size() != req.value_length) {
        return Status::InvalidArgument("write log: the value is not held whole");
      }
      r.client_flags = req.client_flags;
      r.exptime = req.exptime;
      r.value.assign(req.value);
      break;
    case Op::kTouch:
      r.exptime = req.exptime;
      break;
    case Op::kIncr:
    case Op::kDecr:
      r.delta = req.delta;
      r.create = req.create;
      r.initial = req.initial;
      r.exptime = req.create ? req.exptime : 0;
      break;
    default:  // delete: the key is all
      break;
  }
  *out = std::move(r);
  return Status::Ok();
}

protocol::Request LogRecord::ToRequest() const {
  protocol::Request req;
  req.op = op;
  req.protocol = protocol::Protocol::kText;
  req.key = key;
  req.keys = key;
  req.client_flags = client_flags;
  req.exptime = exptime;
  req.delta = delta;
  req.initial = initial;
  req.create = create;
  req.value = value;
  req.value_length = static_cast<uint32_t>(value.size());
  return req;
}

void EncodeHeader(const LogHeader& h, std::string* out) {
  size_t at = out->size();
  out->append(kMagic);
  Put32(out, h.version);
  Put32(out, static_cast<uint32_t>(h.size()));
  Put32(out, h.flags);
  Put32(out, static_cast<uint32_t>(h.address.size()));
  Put64(out, h.first_seq);
  Put64(out, h.start_offset == 0 ? h.size() : h.start_offset);
  Put64(out, h.dropped);
  Put32(out, 0);  // crc, below
  Put32(out, 0);
  out->append(h.address);
  Set32(out, at + kHeaderCrcAt, HeaderCrc(std::string_view(*out).substr(at)));
}

DecodeStatus DecodeHeader(std::string_view buf, LogHeader* h, size_t* need, std::string* error) {
  *need = 0;
  if (buf.size() < kHeaderFixedSize) {
    if (!buf.empty() && !kMagic.starts_with(buf.substr(0, std::min(buf.size(), kMagic.size())))) {
      *error = "not a write log (bad magic)";
      return DecodeStatus::kCorrupt;
    }
    return DecodeStatus::kShort;
  }
  if (buf.substr(0, kMagic.size()) != kMagic) {
    *error = "not a write log (bad magic)";
    return DecodeStatus::kCorrupt;
  }
  const char* p = buf.data();
  uint32_t version = Get32(p + 8);
  uint32_t size = Get32(p + 12);
  uint32_t address_len = Get32(p + 20);
  if (version != kVersion) {
    *error = "unsupported write log version " + std::to_string(version);
    return DecodeStatus::kCorrupt;
  }
  if (address_len > 4096 || size != kHeaderFixedSize + address_len) {
    *error = "corrupt header (bad size)";
    return DecodeStatus::kCorrupt;
  }
  if (buf.size() < size) {
    *need = size;
    return DecodeStatus::kShort;
  }
  if (Get32(p + kHeaderCrcAt) != HeaderCrc(buf.substr(0, size))) {
    *error = "corrupt header (checksum mismatch)";
    return DecodeStatus::kCorrupt;
  }
  h->version = version;
  h->flags = Get32(p + 16);
  h->first_seq = Get64(p + 24);
  h->start_offset = Get64(p + 32);
  h->dropped = Get64(p + 40);
  h->address.assign(p + kHeaderFixedSize, address_len);
  return DecodeStatus::kOk;
}

void EncodeRecord(const LogRecord& r, std::string* out) {
  size_t at = out->size();
  Put32(out, 0);  // crc, below
  Put32(out, static_cast<uint32_t>(r.encoded_size() - 8));
  Put64(out, r.seq);
  Put64(out, static_cast<uint64_t>(r.time_ms));
  out->push_back(static_cast<char>(OpCode(r.op)));
  out->push_back(r.create ? 1 : 0);
  Put16(out, static_cast<uint16_t>(r.key.size()));
  Put32(out, r.client_flags);
  Put64(out, static_cast<uint64_t>(r.exptime));
  Put64(out, r.delta);
  Put64(out, r.initial);
  Put32(out, static_cast<uint32_t>(r.value.size()));
  out->append(r.key);
  out->append(r.value);
  Set32(out, at, hash::Crc32(std::string_view(*out).substr(at + 4)));
}

DecodeStatus DecodeRecord(std::string_view buf, LogRecord* r, size_t* size, std::string* error) {
  *size = 0;
  if (buf.size() < 8) return DecodeStatus::kShort;
  const char* p = buf.data();
  uint64_t body_len = Get32(p + 4);
  if (body_len < kRecordFixedSize - 8 || body_len > kMaxRecordBody) {
    *error = "impossible record length " + std::to_string(body_len);
    return DecodeStatus::kCorrupt;
  }
  *size = static_cast<size_t>(body_len + 8);
  if (buf.size() < *size) return DecodeStatus::kShort;
  if (Get32(p) != hash::Crc32(buf.substr(4, *size - 4))) {
    *error = "checksum mismatch";
    return DecodeStatus::kCorrupt;
  }
  uint16_t key_len = static_cast<uint16_t>(GetN(p + 26, 2));
  uint32_t value_len = Get32(p + 56);
  if (uint64_t{kRecordFixedSize} + key_len + value_len != *size) {
    *error = "record fields do not add up to its length";
    return DecodeStatus::kCorrupt;
  }
  if (!OpFromCode(static_cast<uint8_t>(p[24]), &r->op)) {
    *error = "unknown op code " + std::to_string(static_cast<unsigned char>(p[24]));
    return DecodeStatus::kCorrupt;
  }
  r->seq = Get64(p + 8);
  r->time_ms = static_cast<int64_t>(Get64(p + 16));
  r->create = (p[25] & 1) != 0;
  r->client_flags = Get32(p + 28);
  r->exptime = static_cast<int64_t>(Get64(p + 32));
  r->delta = Get64(p + 40);
  r->initial = Get64(p + 48);
  r->key.assign(p + kRecordFixedSize, key_len);
  r->value.assign(p + kRecordFixedSize + key_len, value_len);
  return DecodeStatus::kOk;
}

std::string_view RecordOpName(Op op) { return protocol::OpName(op); }

std::string LogFileName(std::string_view address) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string name;
  for (char c : address) {
    auto u = static_cast<unsigned char>(c);
    if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '.' ||
        u == '-' || u == '_') {
      name.push_back(c);
    } else {
      name.push_back('%');
      name.push_back(kHex[u >> 4]);
      name.push_back(kHex[u & 15]);
    }
  }
  // A name of dots alone would be "." or ".."; the suffix keeps every name a plain file's.
  constexpr size_t kMaxStem = 200;
  if (name.size() > kMaxStem) {
    uint32_t crc = hash::Crc32(address);
    name.resize(kMaxStem - 9);
    name.push_back('~');
    for (int i = 7; i >= 0; --i) name.push_back(kHex[(crc >> (4 * i)) & 15]);
  }
  return name + ".wlog";
}

}  // namespace memfleet::router::writelog
