// ChildWalk: the order-preserving walk over a route's children that FailoverRoute and
// MissFailoverRoute share — send to the next child, and on its reply decide whether to go on.
//
// A child that answers inside Dispatch (a server marked down answers TKO inside Send) would make
// a naive walk recurse once per dead child; here such a reply only marks `again_`, and the loop
// in Next sends on, so a long list of dead children is walked without recursion. Lives in the
// receiver that owns it (in the request's arena); loop thread only.
#pragma once

#include <cstddef>
#include <vector>

#include "router/route.h"

namespace memfleet::router {

class ChildWalk {
 public:
  // Children still to try after the one last sent to (the first is sent by the route itself).
  bool HasNext(size_t children) const { return next_ < children; }
  size_t next() const { return next_; }

  // Sends req to the next child, replies going to rx (the receiver this walk belongs to). Called
  // from rx.OnReply; rx may be freed when this returns.
  void Next(const std::vector<RoutePtr>& children, const Request& req, RequestContext& ctx,
            ReplyReceiver& rx) {
    if (looping_) {
      again_ = true;
      return;
    }
    looping_ = true;
    // The loop reads this object after each Dispatch, which may have completed the request.
    ctx.Hold();
    do {
      again_ = false;
      children[next_++]->Dispatch(req, ctx, rx);
    } while (again_);
    looping_ = false;
    ctx.Release();  // last: may free this object
  }

 private:
  size_t next_ = 1;
  bool looping_ = false;
  bool again_ = false;
};

}  // namespace memfleet::router
