#include "router/routes/all_async_route.h"

#include "router/routes/background_replies.h"

namespace memfleet::router {

void AllAsyncRoute::Dispatch(const Request& req, RequestContext& ctx, ReplyReceiver& done) const {
  ctx.Hold();
  auto* background = ctx.Make<BackgroundReplies>(ctx, children_.size());
  done.OnReply(DefaultReply(req.op));
  // The context is held, so req and ctx stay valid after the client's reply; the last
  // background reply releases it, possibly inside the last Dispatch.
  for (const RoutePtr& c : children_) c->Dispatch(req, ctx, *background);
}

}  // namespace memfleet::router
