// BackgroundReplies: the receiver for sends that finish after the client has its reply
// (AllAsyncRoute, AllInitialRoute's other children). It drops the replies and releases the
// request's context, once, when the last of them has arrived.
//
// Allocated in the request's arena by the route that holds the context; used on the context's
// worker thread only.
#pragma once

#include <cstddef>

#include "router/route.h"

namespace memfleet::router {

class BackgroundReplies final : public ReplyReceiver {
 public:
  // REQUIRES: the caller has called ctx.Hold() once for these replies, and count > 0.
  BackgroundReplies(RequestContext& ctx, size_t count) : ctx_(ctx), left_(count) {}

  void OnReply(const protocol::Result&) override {
    // Release may free the context, this object with it: it is the last thing done here.
    if (--left_ == 0) ctx_.Release();
  }

 private:
  RequestContext& ctx_;
  size_t left_;
};

}  // namespace memfleet::router
