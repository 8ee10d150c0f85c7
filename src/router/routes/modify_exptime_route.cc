#include "router/routes/modify_exptime_route.h"

#include <charconv>
#include <new>
#include <span>
#include <string_view>

#include "protocol/meta/vocabulary.h"

namespace memfleet::router {

bool ModifyExptimeRoute::CarriesExptime(Op op) {
  return protocol::IsStorage(op) || op == Op::kTouch || op == Op::kGat || op == Op::kGats;
}

const Request& ModifyExptimeRoute::WithExptime(const Request& req, int64_t exptime, Arena& arena) {
  auto* copy = arena.Make<Request>(req);
  copy->exptime = exptime;
  if (req.protocol != protocol::Protocol::kMeta) return *copy;
  // Every token but T, then T<exptime>.
  const size_t n = req.meta.tokens.size() + 1;
  auto* tokens = static_cast<std::string_view*>(
      arena.Allocate(sizeof(std::string_view) * n, alignof(std::string_view)));
  size_t used = 0;
  for (std::string_view tok : req.meta.tokens) {
    if (!tok.empty() && tok[0] == protocol::meta::kFlagTouch) continue;
    new (&tokens[used++]) std::string_view(tok);
  }
  char buf[24];
  buf[0] = protocol::meta::kFlagTouch;
  auto end = std::to_chars(buf + 1, buf + sizeof(buf), exptime).ptr;
  new (&tokens[used++]) std::string_view(arena.Copy(std::string_view(buf, end - buf)));
  copy->meta.tokens = std::span<const std::string_view>(tokens, used);
  return *copy;
}

void ModifyExptimeRoute::Dispatch(const Request& req, RequestContext& ctx,
                                  ReplyReceiver& done) const {
  if (!CarriesExptime(req.op) ||
      (action_ == Action::kMin && req.exptime != 0 && req.exptime <= exptime_)) {
    target_->Dispatch(req, ctx, done);
    return;
  }
  target_->Dispatch(WithExptime(req, exptime_, ctx.arena()), ctx, done);
}

}  // namespace memfleet::router
