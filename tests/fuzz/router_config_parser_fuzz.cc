// libFuzzer target for the router's config loader (router/config/route_tree.h, mcrouter's JSON
// dialect): arbitrary bytes as a config file.
// Invariants: loading never crashes and never throws; a failure is InvalidArgument with a
// "config error" message; a loaded tree is whole — its default route exists, every pool's
// servers and every destination a route reaches are in the server table, and dispatching a
// request through it (to servers that answer at once) gives exactly one reply and leaves every
// context Hold matched by a Release.
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
    protocol::Result r;
    // Alternate answers so that fail-over and majority paths run too.
    r.code = (++sends_ % 3 == 0) ? protocol::ResultCode::kTimeout : protocol::ResultCode::kStored;
    done.OnReply(r);
  }
  uint64_t Random() override { return ++random_; }
  void Hold() override { ++holds; }
  void Release() override {
    ++releases;
    Check(releases <= holds, "a Release matches a Hold");
  }
  int holds = 0;
  int releases = 0;

 private:
  size_t servers_;
  uint64_t sends_ = 0;
  uint64_t random_ = 0;
};

class BoundsTraverser final : public router::RouteTraverser {
 public:
  explicit BoundsTraverser(size_t servers) : servers_(servers) {}
  void Destination(router::DestinationId d) override {
    Check(d < servers_, "a traversed destination is in the server table");
  }

 private:
  size_t servers_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  router::LoadOptions options;
  options.host_id = 1;
  auto loaded = router::LoadRouteTree("fuzz.json", text, options);
  if (!loaded.ok()) {
    Check(loaded.status().code() == memfleet::Status::Code::kInvalidArgument,
          "a bad config is InvalidArgument");
    Check(loaded.status().message().starts_with("config error"), "errors say config error");
    return 0;
  }
  const router::RouteTree& tree = *loaded.value();
  const size_t servers = tree.servers().size();
  for (const auto& pool : tree.pools()) {
    for (router::DestinationId d : pool.servers) Check(d < servers, "pool servers in the table");
  }
  for (const char* key : {"k", "user:1", "/a/b/key", "session:x", ""}) {
    for (protocol::Op op : {protocol::Op::kGet, protocol::Op::kSet, protocol::Op::kDelete}) {
      std::string_view stripped;
      const router::Route* route = tree.Select(key, &stripped);
      Check(route != nullptr, "every key has a route");
      protocol::Request req;
      req.op = op;
      req.key = stripped;
      BoundsTraverser t(servers);
      route->Traverse(req, t);
      InstantContext ctx(servers);
      CountingReceiver done;
      route->Dispatch(req, ctx, done);
      Check(done.replies == 1, "one reply per request");
      Check(ctx.holds == ctx.releases, "every Hold is released");
    }
  }
  return 0;
}
