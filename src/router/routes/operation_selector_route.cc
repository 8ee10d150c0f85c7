#include "router/routes/operation_selector_route.h"

namespace memfleet::router {

const Route* OperationSelectorRoute::Select(Op op) const {
  size_t i = static_cast<size_t>(op);
  if (i < kOpCount && policies_[i] != nullptr) return policies_[i].get();
  return default_policy_.get();
}

void OperationSelectorRoute::Dispatch(const Request& req, RequestContext& ctx,
                                      ReplyReceiver& done) const {
  if (const Route* r = Select(req.op)) {
    r->Dispatch(req, ctx, done);
  } else {
    done.OnReply(DefaultReply(req.op));
  }
}

void OperationSelectorRoute::Traverse(const Request& req, RouteTraverser& t) const {
  if (const Route* r = Select(req.op)) r->Traverse(req, t);
}

std::optional<Op> OperationByName(std::string_view name) {
  if (name == "flushall") return Op::kFlushAll;  // mcrouter's spelling of flush_all
  for (size_t i = 0; i < OperationSelectorRoute::kOpCount; ++i) {
    Op op = static_cast<Op>(i);
    if (protocol::OpName(op) == name) return op;
  }
  return std::nullopt;
}

bool IsMcrouterOnlyOperation(std::string_view name) {
  return name == "lease-get" || name == "lease-set" || name == "metaget" || name == "flushre";
}

}  // namespace memfleet::router
