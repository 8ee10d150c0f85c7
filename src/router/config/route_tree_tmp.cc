// TEMPORARY (not committed): minimal loader so the serving side can run before the routes land.
#include <nlohmann/json.hpp>

#include "router/config/route_tree.h"
#include "router/hash/hash_func.h"

namespace memfleet::router {
namespace {
class TmpPoolRoute final : public Route {
 public:
  TmpPoolRoute(std::unique_ptr<hash::HashFunction> h, std::vector<DestinationId> d)
      : h_(std::move(h)), d_(std::move(d)) {}
  void Dispatch(const Request& req, RequestContext& ctx, ReplyReceiver& done) const override {
    ctx.Send(d_[h_->Pick(req.key)], req, done);
  }
  void Traverse(const Request& req, RouteTraverser& t) const override {
    t.Destination(d_[h_->Pick(req.key)]);
  }
  std::string_view type() const override { return "PoolRoute"; }

 private:
  std::unique_ptr<hash::HashFunction> h_;
  std::vector<DestinationId> d_;
};
}  // namespace

std::string UpstreamSpec::key() const { return address; }

class RouteTreeBuilder {
 public:
  static memfleet::Result<std::shared_ptr<const RouteTree>> Build(std::string_view text) {
    auto j = nlohmann::json::parse(text, nullptr, false, true);
    if (j.is_discarded()) return Status::InvalidArgument("config error: bad json");
    auto t = std::make_shared<RouteTree>();
    hash::HashSpec spec;
    std::vector<DestinationId> dests;
    for (auto& [name, pool] : j["pools"].items()) {
      RouteTree::Pool p{name, {}};
      for (auto& s : pool["servers"]) {
        UpstreamSpec u;
        u.address = s.get<std::string>();
        u.pool = name;
        p.servers.push_back(static_cast<DestinationId>(t->servers_.size()));
        dests.push_back(p.servers.back());
        spec.servers.push_back({u.address, "", 1.0});
        t->servers_.push_back(u);
      }
      t->pools_.push_back(p);
      break;
    }
    auto h = hash::MakeHashFunction(spec);
    if (!h.ok()) return h.status();
    t->default_route_holder_ = std::make_shared<TmpPoolRoute>(std::move(*h), dests);
    t->default_route_ = t->default_route_holder_.get();
    return std::shared_ptr<const RouteTree>(t);
  }
};

const Route* RouteTree::Select(std::string_view key, std::string_view* key_out) const {
  *key_out = key;
  return default_route_;
}

memfleet::Result<std::shared_ptr<const RouteTree>> LoadRouteTree(std::string_view,
                                                                 std::string_view text,
                                                                 const LoadOptions&) {
  return RouteTreeBuilder::Build(text);
}

}  // namespace memfleet::router
