#include "router/routes/all_sync_route.h"

namespace memfleet::router {
namespace {

// Keeps the worst reply so far; answers with it when the last child has replied.
class WorstOfAll final : public ReplyReceiver {
 public:
  WorstOfAll(ReplyReceiver& done, Arena& arena, size_t children)
      : done_(done), arena_(arena), left_(children) {}

  void OnReply(const protocol::Result& r) override {
    if (!worst_.set || protocol::WorseThan(r.code, worst_.result.code)) worst_.Assign(r, arena_);
    if (--left_ == 0) done_.OnReply(worst_.result);
  }

 private:
  ReplyReceiver& done_;
  Arena& arena_;
  size_t left_;
  StoredResult worst_;
};

}  // namespace

void AllSyncRoute::Dispatch(const Request& req, RequestContext& ctx, ReplyReceiver& done) const {
  auto* all = ctx.Make<WorstOfAll>(done, ctx.arena(), children_.size());
  // The last reply may complete the request (and free the context) inside the last Dispatch:
  // nothing here touches the context or the receiver after it.
  for (const RoutePtr& c : children_) c->Dispatch(req, ctx, *all);
}

}  // namespace memfleet::router
