#include "protocol/translate.h"

#include "protocol/binary/client.h"
#include "protocol/meta/client.h"
#include "protocol/text/client.h"

namespace memfleet::protocol {
namespace {

bool WithCas(Op op) { return op == Op::kGets || op == Op::kGats; }

// The upstream request never asks for silence: the client's noreply is applied on the way back.
Request Loud(const Request& req) {
  Request up = req;
  up.noreply = false;
  return up;
}

}  // namespace

Protocol UpstreamProtocol(const Request& req) {
  switch (req.op) {
    case Op::kVersion:
    case Op::kStats:
    case Op::kFlushAll:
    case Op::kVerbosity:
      return Protocol::kText;
    default:
      return Protocol::kMeta;
  }
}

Request SingleKey(const Request& req, std::string_view key) {
  Request one = req;
  one.key = key;
  one.keys = key;
  return one;
}

void ComposeUpstreamRequest(const Request& req, std::string* out) {
  if (UpstreamProtocol(req) == Protocol::kText) {
    text::ComposeRequest(Loud(req), out);
    return;
  }
  meta::ComposeOptions opt;
  opt.drop_quiet = true;
  meta::ComposeMetaRequest(Loud(req), opt, out);
}

void ComposeUpstreamRequestHead(const Request& req, std::string* out) {
  if (UpstreamProtocol(req) == Protocol::kText) {
    text::ComposeRequestHead(Loud(req), out);
    return;
  }
  meta::ComposeOptions opt;
  opt.drop_quiet = true;
  meta::ComposeMetaRequestHead(Loud(req), opt, out);
}

ReplyParse ParseUpstreamReplyHead(std::string_view buf, const Request& req, Result* r) {
  if (UpstreamProtocol(req) == Protocol::kText) return text::ParseReplyHead(buf, req.op, r);
  return meta::ParseReplyHead(buf, req.op, r);
}

ReplyParse ParseUpstreamReply(std::string_view buf, const Request& req, Result* r) {
  if (UpstreamProtocol(req) == Protocol::kText) return text::ParseReply(buf, req.op, r);
  return meta::ParseReply(buf, req.op, r);
}

void ComposeClientReply(const Request& req, const Result& r, std::string* out) {
  switch (req.protocol) {
    case Protocol::kText:
      if (IsRetrieval(req.op) && !IsError(r.code)) {
        ComposeClientValue(req, req.key, r, out);
        ComposeClientEnd(req, out);
        return;
      }
      text::ComposeReply(req, r, out);
      return;
    case Protocol::kMeta:
      meta::ComposeReply(req, r, out);
      return;
    case Protocol::kBinary:
      binary::ComposeReply(req, r, out);
      return;
  }
}

void ComposeClientValue(const Request& req, std::string_view key, const Result& r,
                        std::string* out) {
  if (r.code != ResultCode::kFound) return;
  text::ComposeValue(key, r, WithCas(req.op), out);
}

void ComposeClientEnd(const Request& /*req*/, std::string* out) { text::ComposeEnd(out); }

}  // namespace memfleet::protocol
