#include "router/routes/all_majority_route.h"

#include <array>
#include <cstdint>

namespace memfleet::router {
namespace {

class MajorityVote final : public ReplyReceiver {
 public:
  MajorityVote(RequestContext& ctx, ReplyReceiver& done, Op op, size_t children)
      : ctx_(ctx), done_(done), left_(children), needed_(children / 2 + 1) {
    // What answers if no reply is ever counted (mcrouter starts from the default reply).
    leader_.result = DefaultReply(op);
  }

  void OnReply(const protocol::Result& r) override {
    --left_;
    if (!answered_) {
      size_t count = ++counts_[static_cast<size_t>(r.code)];
      if (count > leader_count_ ||
          (count == leader_count_ && protocol::WorseThan(r.code, leader_.result.code))) {
        leader_.Assign(r, ctx_.arena());
        leader_count_ = count;
      }
      if (leader_count_ >= needed_ || left_ == 0) {
        answered_ = true;
        done_.OnReply(leader_.result);
      }
    }
    // Release may free the context and this object: the last thing done here.
    if (left_ == 0) ctx_.Release();
  }

 private:
  static constexpr size_t kCodes = static_cast<size_t>(ResultCode::kTko) + 1;
  RequestContext& ctx_;
  ReplyReceiver& done_;
  size_t left_;
  const size_t needed_;
  size_t leader_count_ = 0;
  bool answered_ = false;
  StoredResult leader_;
  std::array<uint32_t, kCodes> counts_{};
};

}  // namespace

void AllMajorityRoute::Dispatch(const Request& req, RequestContext& ctx,
                                ReplyReceiver& done) const {
  // Held until every child has replied, since the answer may come before the last of them.
  ctx.Hold();
  auto* vote = ctx.Make<MajorityVote>(ctx, done, req.op, children_.size());
  for (const RoutePtr& c : children_) c->Dispatch(req, ctx, *vote);
}

}  // namespace memfleet::router
