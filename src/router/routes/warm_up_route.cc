#include "router/routes/warm_up_route.h"

#include "protocol/key.h"
#include "protocol/meta/vocabulary.h"
#include "router/routes/background_replies.h"
#include "router/routes/routing_key.h"

namespace memfleet::router {
namespace {

// True when the warm reply to req holds everything an add needs: the value and the client
// flags. The translation asks for both on behalf of text and binary clients; a meta client
// gets what its flags ask for.
bool ReplyHoldsItem(const Request& req) {
  if (req.protocol != protocol::Protocol::kMeta) return true;
  bool value = false, flags = false;
  for (std::string_view tok : req.meta.tokens) {
    if (tok.size() != 1) continue;
    value = value || tok[0] == protocol::meta::kFlagReturnValue;
    flags = flags || tok[0] == protocol::meta::kFlagReturnFlags;
  }
  return value && flags;
}

// A request of the route's own for req's key, in the arena: op with nothing else set. It is
// composed upstream by the translation from its fields (never as a meta request re-sent with a
// client's tokens), with the key as the client meant it.
Request* OwnRequest(const Request& req, Op op, Arena& arena) {
  std::string_view key = req.key;
  if (req.protocol == protocol::Protocol::kMeta && req.meta.base64_key) {
    RoutingKey decoded(req);
    key = arena.Copy(decoded.view());
  }
  auto* own = arena.Make<Request>();
  own->op = op;
  // Text for a key text can carry (a get may then share a "get k1 k2" line upstream); binary
  // for any other, which the translation sends base64.
  own->protocol =
      protocol::KeyIsTextSafe(key) ? protocol::Protocol::kText : protocol::Protocol::kBinary;
  own->key = key;
  own->keys = key;
  return own;
}

// The add that copies a warm hit into cold: the value is copied into the arena, since the add
// may be sent (or failed over) after the warm reply's bytes are gone.
Request* AddFor(const Request& req, const protocol::Result& hit, int64_t exptime, Arena& arena) {
  Request* add = OwnRequest(req, Op::kAdd, arena);
  add->value = arena.Copy(hit.value);
  add->value_length = static_cast<uint32_t>(add->value.size());
  add->client_flags = hit.client_flags;
  add->exptime = exptime;
  return add;
}

}  // namespace

// One request's way through cold and warm. Lives in the request's arena.
class WarmUpRoute::Walk final : public ReplyReceiver {
 public:
  Walk(const WarmUpRoute& route, const Request& req, RequestContext& ctx, ReplyReceiver& done)
      : route_(route), req_(req), ctx_(ctx), done_(done) {}

  void Start() {
    step_ = Step::kCold;
    route_.cold_->Dispatch(req_, ctx_, *this);
  }

  void OnReply(const protocol::Result& r) override {
    switch (step_) {
      case Step::kCold:
        if (protocol::IsHit(r.code)) {
          done_.OnReply(r);
          return;
        }
        if (req_.op == Op::kGet && ReplyHoldsItem(req_)) {
          step_ = Step::kWarmForGet;
          route_.warm_->Dispatch(req_, ctx_, *this);
          return;
        }
        // Cold's miss is the reply unless warm has the item; it carries no value.
        cold_reply_.Assign(r, ctx_.arena());
        step_ = Step::kWarm;
        route_.warm_->Dispatch(*OwnRequest(req_, Op::kGet, ctx_.arena()), ctx_, *this);
        return;
      case Step::kWarmForGet:
        if (protocol::IsHit(r.code) && r.has_value) {
          Request* add = AddFor(req_, r, route_.exptime_, ctx_.arena());
          // The add outlives the client's reply: hold the context until cold answers it.
          ctx_.Hold();
          auto* background = ctx_.Make<BackgroundReplies>(ctx_, 1);
          done_.OnReply(r);
          route_.cold_->Dispatch(*add, ctx_, *background);
          return;
        }
        done_.OnReply(r);
        return;
      case Step::kWarm:
        if (protocol::IsHit(r.code) && r.has_value) {
          const bool touches = req_.op == Op::kGat || req_.op == Op::kGats;
          step_ = Step::kAdd;
          route_.cold_->Dispatch(
              *AddFor(req_, r, touches ? req_.exptime : route_.exptime_, ctx_.arena()), ctx_,
              *this);
          return;
        }
        done_.OnReply(cold_reply_.result);
        return;
      case Step::kAdd:
        // Whatever the add's outcome (another client may have added first), cold now answers
        // the request itself: its cas, its touch.
        route_.cold_->Dispatch(req_, ctx_, done_);
        return;
    }
  }

 private:
  enum class Step : uint8_t { kCold, kWarmForGet, kWarm, kAdd };
  const WarmUpRoute& route_;
  const Request& req_;  // valid for the life of the context (route.h)
  RequestContext& ctx_;
  ReplyReceiver& done_;
  StoredResult cold_reply_;
  Step step_ = Step::kCold;
};

void WarmUpRoute::Dispatch(const Request& req, RequestContext& ctx, ReplyReceiver& done) const {
  if (!protocol::IsRetrieval(req.op)) {
    cold_->Dispatch(req, ctx, done);
    return;
  }
  ctx.Make<Walk>(*this, req, ctx, done)->Start();
}

void WarmUpRoute::Traverse(const Request& req, RouteTraverser& t) const {
  cold_->Traverse(req, t);
  if (protocol::IsRetrieval(req.op)) warm_->Traverse(req, t);
}

}  // namespace memfleet::router
