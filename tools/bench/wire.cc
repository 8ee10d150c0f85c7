#include "wire.h"

#include "protocol/meta/client.h"
#include "protocol/text/client.h"

namespace memfleet::bench {

using protocol::Op;
using protocol::ReplyPart;
using protocol::ReplyStatus;
using protocol::ResultCode;

RequestComposer::RequestComposer(Protocol protocol, const KeySpace* keys,
                                 const ValuePattern* values)
    : protocol_(protocol), keys_(*keys), values_(*values) {
  // A meta request is composed as a meta request with its own tokens ("mg <key> v",
  // "ms <key> <len>"), not translated from text (which would add flags the generator ignores).
  request_.protocol =
      protocol == Protocol::kMeta ? protocol::Protocol::kMeta : protocol::Protocol::kText;
  key_.resize(keys->key_size());
}

void RequestComposer::SetKey(uint64_t index) {
  keys_.Format(index, key_.data());
  request_.key = key_;
}

protocol::Op RequestComposer::AppendSet(uint64_t index, size_t length, std::string* out) {
  SetKey(index);
  request_.op = Op::kSet;
  request_.keys = {};
  request_.meta.tokens = {};
  request_.value = values_.ValueFor(request_.key, length);
  request_.value_length = static_cast<uint32_t>(length);
  if (protocol_ == Protocol::kMeta) {
    protocol::meta::ComposeRequest(request_, out);
  } else {
    protocol::text::ComposeRequest(request_, out);
  }
  return Op::kSet;
}

protocol::Op RequestComposer::AppendGet(std::span<const uint64_t> indexes, std::string* out) {
  request_.op = Op::kGet;
  request_.value = {};
  request_.value_length = 0;
  SetKey(indexes[0]);
  if (protocol_ == Protocol::kMeta) {
    request_.keys = {};
    request_.meta.tokens = value_token_;
    protocol::meta::ComposeRequest(request_, out);
    return Op::kGet;
  }
  request_.meta.tokens = {};
  request_.keys = {};
  if (indexes.size() > 1) {
    const size_t n = keys_.key_size();
    key_list_.resize(indexes.size() * (n + 1) - 1);
    char* p = key_list_.data();
    for (size_t i = 0; i < indexes.size(); ++i) {
      if (i > 0) *p++ = ' ';
      keys_.Format(indexes[i], p);
      p += n;
    }
    request_.keys = key_list_;
  }
  protocol::text::ComposeRequest(request_, out);
  return Op::kGet;
}

namespace {

ReplyKind KindOf(Op op, const protocol::ReplyParse& parse, const protocol::Result& r) {
  if (parse.part == ReplyPart::kValue) return ReplyKind::kValue;
  if (parse.part == ReplyPart::kEnd) return ReplyKind::kEnd;
  if (parse.part != ReplyPart::kComplete) return ReplyKind::kMalformed;
  if (protocol::IsError(r.code)) return ReplyKind::kError;
  const bool set = protocol::IsStorage(op);
  switch (r.code) {
    case ResultCode::kFound:
      // An mg hit; one without a value (HD) counts as a hit and then fails verification.
      return set ? ReplyKind::kMalformed : ReplyKind::kValue;
    case ResultCode::kStored:
      return set ? ReplyKind::kStored : ReplyKind::kMalformed;
    case ResultCode::kNotFound:
      return set ? ReplyKind::kNotStored : ReplyKind::kMiss;
    case ResultCode::kNotStored:
    case ResultCode::kExists:
      return set ? ReplyKind::kNotStored : ReplyKind::kMalformed;
    default:
      return ReplyKind::kMalformed;
  }
}

}  // namespace

Reply ReplyReader::Read(protocol::Op op, std::string_view buf) {
  protocol::Result& r = result_;
  const protocol::ReplyParse parse = protocol_ == Protocol::kMeta
                                         ? protocol::meta::ParseReply(buf, op, &r)
                                         : protocol::text::ParseReply(buf, op, &r);
  Reply out;
  if (parse.status == ReplyStatus::kIncomplete) return out;
  if (parse.status == ReplyStatus::kMalformed) {
    out.kind = ReplyKind::kMalformed;
    return out;
  }
  out.kind = KindOf(op, parse, r);
  out.consumed = parse.consumed;
  if (out.kind == ReplyKind::kValue) {
    out.key = r.key;
    out.value = r.value;
  } else if (out.kind == ReplyKind::kError) {
    out.message = r.message;
  }
  return out;
}

std::string_view FirstLine(std::string_view buf) {
  buf = buf.substr(0, 80);
  const size_t end = buf.find_first_of("\r\n");
  return end == std::string_view::npos ? buf : buf.substr(0, end);
}

}  // namespace memfleet::bench
