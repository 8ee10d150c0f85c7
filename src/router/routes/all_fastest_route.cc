#include "router/routes/all_fastest_route.h"

namespace memfleet::router {
namespace {

class FirstSuccess final : public ReplyReceiver {
 public:
  FirstSuccess(RequestContext& ctx, ReplyReceiver& done, size_t children)
      : ctx_(ctx), done_(done), left_(children) {}

  void OnReply(const protocol::Result& r) override {
    --left_;
    if (!answered_ && (!protocol::IsFailoverError(r.code) || left_ == 0)) {
      answered_ = true;
      done_.OnReply(r);
    }
    // Release may free the context and this object: the last thing done here.
    if (left_ == 0) ctx_.Release();
  }

 private:
  RequestContext& ctx_;
  ReplyReceiver& done_;
  size_t left_;
  bool answered_ = false;
};

}  // namespace

void AllFastestRoute::Dispatch(const Request& req, RequestContext& ctx, ReplyReceiver& done) const {
  ctx.Hold();
  auto* first = ctx.Make<FirstSuccess>(ctx, done, children_.size());
  for (const RoutePtr& c : children_) c->Dispatch(req, ctx, *first);
}

}  // namespace memfleet::router
