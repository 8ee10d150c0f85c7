#include "router/routes/all_initial_route.h"

#include "router/routes/background_replies.h"

namespace memfleet::router {

void AllInitialRoute::Dispatch(const Request& req, RequestContext& ctx, ReplyReceiver& done) const {
  if (children_.size() == 1) {
    children_[0]->Dispatch(req, ctx, done);
    return;
  }
  // Hold first: the first child may answer the client inside its Dispatch.
  ctx.Hold();
  auto* background = ctx.Make<BackgroundReplies>(ctx, children_.size() - 1);
  children_[0]->Dispatch(req, ctx, done);
  for (size_t i = 1; i < children_.size(); ++i) children_[i]->Dispatch(req, ctx, *background);
}

}  // namespace memfleet::router
