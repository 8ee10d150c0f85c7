// libFuzzer target for the router's nutcracker.yml loader (router/config/nutcracker_config.h):
// arbitrary bytes as a .yml config file.
// Invariants: loading never crashes and no exception escapes (yaml-cpp throws on bad YAML; the
// loader must catch it); a failure is InvalidArgument with a "config error" message; a loaded
// tree is whole — it has a listener per pool, each with a non-empty address and a route, the
// default route is one of them, every pool's servers are in the server table, and each
// listener's route sends a key to exactly one server of the table and answers exactly once.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "router/config/route_tree.h"

namespace router = memfleet::router;
namespace protocol = memfleet::protocol;

namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant violated: %s\n", what);
    std::abort();
  }
}

class CountingReceiver final : public router::ReplyReceiver {
 public:
  void OnReply(const protocol::Result&) override { ++replies; }
  int replies = 0;
};

class InstantContext final : public router::RequestContext {
 public:
  explicit InstantContext(size_t servers) : servers_(servers) {}
  void Send(router::DestinationId dest, const protocol::Request&,
            router::ReplyReceiver& done) override {
    Check(dest < servers_, "a send goes to a server of the table");
    ++sends;
    protocol::Result r;
    r.code = protocol::ResultCode::kStored;
    done.OnReply(r);
  }
  uint64_t Random() override { return ++random_; }
  void Hold() override { ++holds; }
  void Release() override { ++releases; }
  int sends = 0;
  int holds = 0;
  int releases = 0;

 private:
  size_t servers_;
  uint64_t random_ = 0;
};

class CountingTraverser final : public router::RouteTraverser {
 public:
  explicit CountingTraverser(size_t servers) : servers_(servers) {}
  void Destination(router::DestinationId d) override {
    Check(d < servers_, "a traversed destination is in the server table");
    ++seen;
  }
  int seen = 0;

 private:
  size_t servers_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  router::LoadOptions options;
  options.host_id = 1;
  auto loaded = router::LoadRouteTree("fuzz.yml", text, options);
  if (!loaded.ok()) {
    Check(loaded.status().code() == memfleet::Status::Code::kInvalidArgument,
          "a bad config is InvalidArgument");
    Check(loaded.status().message().starts_with("config error"), "errors say config error");
    return 0;
  }
  const router::RouteTree& tree = *loaded.value();
  const size_t servers = tree.servers().size();
  Check(!tree.listeners().empty(), "a loaded yml has a listener");
  Check(tree.listeners().size() == tree.pools().size(), "one listener per pool");
  for (const auto& pool : tree.pools()) {
    Check(!pool.servers.empty(), "a pool has servers");
    for (router::DestinationId d : pool.servers) Check(d < servers, "pool servers in the table");
  }
  bool default_is_a_listener = false;
  for (const router::ListenerSpec& l : tree.listeners()) {
    Check(!l.address.empty(), "a listener has an address");
    Check(l.route != nullptr, "a listener has a route");
    default_is_a_listener |= l.route.get() == &tree.default_route();
    for (const char* key : {"k", "user:1", "{tag}:x", "a}b{c}", ""}) {
      for (protocol::Op op : {protocol::Op::kGet, protocol::Op::kSet}) {
        protocol::Request req;
        req.op = op;
        req.key = key;
        CountingTraverser t(servers);
        l.route->Traverse(req, t);
        Check(t.seen == 1, "a pool key goes to one server");
        InstantContext ctx(servers);
        CountingReceiver done;
        l.route->Dispatch(req, ctx, done);
        Check(done.replies == 1, "one reply per request");
        Check(ctx.sends == 1, "one send per request");
        Check(ctx.holds == ctx.releases, "every Hold is released");
      }
    }
  }
  Check(default_is_a_listener, "the default route is a pool's");
  return 0;
}
