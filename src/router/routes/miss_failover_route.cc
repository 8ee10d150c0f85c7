#include "router/routes/miss_failover_route.h"

namespace memfleet::router {
namespace {

bool FailsOverOnMiss(Op op) { return protocol::IsRetrieval(op) || op == Op::kDelete; }

}  // namespace

// One request's walk over the children. Lives in the request's arena.
class MissFailoverRoute::Attempts final : public ReplyReceiver {
 public:
  Attempts(const MissFailoverRoute& route, const Request& req, RequestContext& ctx,
           ReplyReceiver& done)
      : route_(route), req_(req), ctx_(ctx), done_(done) {}

  void OnReply(const protocol::Result& r) override {
    const std::vector<RoutePtr>& children = route_.children_;
    if (protocol::IsHit(r.code)) {
      done_.OnReply(r);
      return;
    }
    if (next_ == children.size()) {
      // The last child: its reply, or the best one seen.
      if (route_.return_best_on_error_ && best_.set &&
          protocol::WorseThan(r.code, best_.result.code)) {
        done_.OnReply(best_.result);
      } else {
        done_.OnReply(r);
      }
      return;
    }
    // Only the severity decides which is kept, and a miss or an error carries no value: the
    // copy is a few words and at most an error line.
    if (route_.return_best_on_error_ &&
        (!best_.set || !protocol::WorseThan(r.code, best_.result.code))) {
      best_.Assign(r, ctx_.arena());
    }
    TryNext();
  }

 private:
  // As FailoverRoute's: children that answer inside Dispatch are walked by a loop, not by
  // recursion.
  void TryNext() {
    if (looping_) {
      again_ = true;
      return;
    }
    looping_ = true;
    ctx_.Hold();  // the loop reads this object after each Dispatch
    do {
      again_ = false;
      route_.children_[next_++]->Dispatch(req_, ctx_, *this);
    } while (again_);
    looping_ = false;
    ctx_.Release();  // last: may free this object
  }

  const MissFailoverRoute& route_;
  const Request& req_;  // valid for the life of the context (route.h)
  RequestContext& ctx_;
  ReplyReceiver& done_;
  StoredResult best_;
  size_t next_ = 1;
  bool looping_ = false;
  bool again_ = false;
};

void MissFailoverRoute::Dispatch(const Request& req, RequestContext& ctx,
                                 ReplyReceiver& done) const {
  if (children_.size() == 1 || !FailsOverOnMiss(req.op)) {
    children_[0]->Dispatch(req, ctx, done);
    return;
  }
  children_[0]->Dispatch(req, ctx, *ctx.Make<Attempts>(*this, req, ctx, done));
}

}  // namespace memfleet::router
