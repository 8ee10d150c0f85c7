#include "router/routes/miss_failover_route.h"

#include "router/routes/child_walk.h"

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
    if (!walk_.HasNext(children.size())) {
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
    walk_.Next(children, req_, ctx_, *this);
  }

 private:
  const MissFailoverRoute& route_;
  const Request& req_;  // valid for the life of the context (route.h)
  RequestContext& ctx_;
  ReplyReceiver& done_;
  StoredResult best_;
  ChildWalk walk_;
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
