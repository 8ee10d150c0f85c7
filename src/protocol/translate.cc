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

constexpr std::string_view kBarrier = "mn\r\n";
constexpr std::string_view kBarrierReply = "MN\r\n";

// A barrier request's reply: the barrier's MN alone (the upstream stayed quiet: an existing
// item's success), or the ma's own reply followed by it.
ReplyParse ParseWithBarrier(std::string_view buf, const Request& req, Result* r) {
  if (buf.size() < kBarrierReply.size() && kBarrierReply.starts_with(buf)) return {};
  if (buf.starts_with(kBarrierReply)) {
    *r = Result{};
    r->code = ResultCode::kFound;
    ReplyParse done;
    done.status = ReplyStatus::kOk;
    done.consumed = kBarrierReply.size();
    return done;
  }
  ReplyParse pr = meta::ParseReply(buf, req.op, r);
  if (pr.status != ReplyStatus::kOk) return pr;
  std::string_view rest = buf.substr(pr.consumed);
  if (rest.size() < kBarrierReply.size()) {
    if (!kBarrierReply.starts_with(rest))
      pr.status = ReplyStatus::kMalformed;
    else
      pr.status = ReplyStatus::kIncomplete;
    pr.consumed = 0;
    return pr;
  }
  if (!rest.starts_with(kBarrierReply)) {
    pr.status = ReplyStatus::kMalformed;
    return pr;
  }
  // Under q memcached answers a success only for an item N created.
  r->created = IsHit(r->code);
  pr.consumed += kBarrierReply.size();
  pr.has_value = false;
  pr.value_length = 0;
  pr.trailer = {};
  return pr;
}

}  // namespace

bool UpstreamHasBarrier(const Request& req) {
  return req.protocol == Protocol::kMeta && (req.op == Op::kIncr || req.op == Op::kDecr) &&
         req.noreply && req.create;
}

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
  one.key_count = 1;
  return one;
}

void ComposeUpstreamRequest(const Request& req, std::string* out) {
  if (UpstreamProtocol(req) == Protocol::kText) {
    text::ComposeRequest(Loud(req), out);
    return;
  }
  if (UpstreamHasBarrier(req)) {
    meta::ComposeMetaRequest(req, meta::ComposeOptions{}, out);
    out->append(kBarrier);
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
  if (UpstreamHasBarrier(req)) {  // ma has no data block: the head is the whole request
    ComposeUpstreamRequest(req, out);
    return;
  }
  meta::ComposeOptions opt;
  opt.drop_quiet = true;
  meta::ComposeMetaRequestHead(Loud(req), opt, out);
}

ReplyParse ParseUpstreamReplyHead(std::string_view buf, const Request& req, Result* r) {
  if (UpstreamProtocol(req) == Protocol::kText) return text::ParseReplyHead(buf, req.op, r);
  if (UpstreamHasBarrier(req)) return ParseWithBarrier(buf, req, r);
  return meta::ParseReplyHead(buf, req.op, r);
}

ReplyParse ParseUpstreamReply(std::string_view buf, const Request& req, Result* r) {
  if (UpstreamProtocol(req) == Protocol::kText) return text::ParseReply(buf, req.op, r);
  if (UpstreamHasBarrier(req)) return ParseWithBarrier(buf, req, r);
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
