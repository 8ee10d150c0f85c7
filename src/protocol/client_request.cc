#include "protocol/client_request.h"

#include <span>

#include "protocol/binary/client.h"
#include "protocol/meta/client.h"
#include "protocol/text/client.h"

namespace memfleet::protocol {
namespace {

bool IsMeta(text::Command c) {
  switch (c) {
    case text::Command::kMetaGet:
    case text::Command::kMetaSet:
    case text::Command::kMetaDelete:
    case text::Command::kMetaArithmetic:
    case text::Command::kMetaNoop:
    case text::Command::kMetaDebug:
      return true;
    default:
      return false;
  }
}

meta::MetaCommand MetaCommandOf(text::Command c) {
  switch (c) {
    case text::Command::kMetaSet:
      return meta::MetaCommand::kSet;
    case text::Command::kMetaDelete:
      return meta::MetaCommand::kDelete;
    case text::Command::kMetaArithmetic:
      return meta::MetaCommand::kArithmetic;
    default:
      return meta::MetaCommand::kGet;
  }
}

// The data block after the head, when buf holds all of it.
std::string_view WholeValue(std::string_view buf, size_t head, size_t length) {
  if (buf.size() - head < length) return {};
  return buf.substr(head, length);
}

ClientParse ParseBinary(std::string_view buf, ClientRequest* out) {
  ClientParse res;
  binary::ParseResult pr = binary::ParseRequest(buf, &out->binary);
  switch (pr.status) {
    case binary::ParseStatus::kIncomplete:
      return res;
    case binary::ParseStatus::kBadMagic:
      res.status = ClientParseStatus::kClose;  // memcached closes without a reply
      return res;
    case binary::ParseStatus::kKeyPastBody:
      res.status = ClientParseStatus::kClose;
      res.binary_status = binary::Status::kUnknownCommand;
      return res;
    case binary::ParseStatus::kOk:
      break;
  }
  res.consumed = pr.consumed;
  const binary::Request& b = out->binary;
  if (!binary::DescribeOpcode(b.header.opcode).known) {
    res.status = ClientParseStatus::kError;
    res.binary_status = binary::Status::kUnknownCommand;
    res.skip = b.value_length;
    return res;
  }
  if (binary::CheckRequestShape(b) != binary::Status::kSuccess) {
    res.status = ClientParseStatus::kClose;
    res.binary_status = binary::Status::kInvalidArguments;
    return res;
  }
  if (!binary::ToNeutral(b, WholeValue(buf, pr.consumed, b.value_length), &out->req)) {
    res.status = ClientParseStatus::kUnsupported;
    return res;
  }
  res.status = ClientParseStatus::kOk;
  return res;
}

}  // namespace

ClientParse ParseClientRequest(Protocol protocol, std::string_view buf, ClientRequest* out) {
  out->req = Request{};
  if (protocol == Protocol::kBinary) return ParseBinary(buf, out);
  ClientParse res;
  text::ParseResult pr = text::ParseRequest(buf, &out->text);
  const text::Request& t = out->text;
  res.consumed = pr.consumed;
  res.noreply = t.noreply;
  switch (pr.status) {
    case text::ParseStatus::kIncomplete:
      return res;
    case text::ParseStatus::kError:
      res.status = ClientParseStatus::kError;
      res.error = pr.error;
      return res;
    case text::ParseStatus::kClose:
      res.status = ClientParseStatus::kClose;
      res.error = pr.error;
      return res;
    case text::ParseStatus::kOk:
      break;
  }
  if (!IsMeta(t.command)) {
    if (!text::ToNeutral(t, &out->req)) {
      res.status = ClientParseStatus::kUnsupported;
      return res;
    }
    out->req.value = WholeValue(buf, pr.consumed, t.value_length);
    res.status = ClientParseStatus::kOk;
    return res;
  }
  const meta::MetaCommand cmd = MetaCommandOf(t.command);
  const size_t first = cmd == meta::MetaCommand::kSet ? 3 : 2;
  std::span<const std::string_view> tokens;
  if (t.ntokens > first) tokens = {t.tokens.data() + first, t.ntokens - first};
  out->meta_flags = meta::MetaFlags{};
  if (t.command != text::Command::kMetaNoop && t.command != text::Command::kMetaDebug) {
    std::string_view err = meta::ParseMetaFlags(cmd, t.key, tokens, out->key_buf, &out->meta_flags);
    if (!err.empty()) {
      // memcached answers a refused meta command even under q, and skips an ms's data block.
      res.status = ClientParseStatus::kError;
      res.error = err;
      res.noreply = false;
      if (cmd == meta::MetaCommand::kSet) res.skip = static_cast<size_t>(t.value_length) + 2;
      return res;
    }
  }
  if (!meta::ToNeutral(t, out->meta_flags, tokens, &out->req)) {
    res.status = ClientParseStatus::kUnsupported;
    return res;
  }
  out->req.value = WholeValue(buf, pr.consumed, t.value_length);
  res.status = ClientParseStatus::kOk;
  return res;
}

}  // namespace memfleet::protocol
