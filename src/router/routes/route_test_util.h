// Test doubles for route handles (tests only): FakeRoute, a child that records what it is sent
// and replies when the test says so; FakeContext, a RequestContext whose Send does the same per
// destination and whose Random is scripted; Replies, a receiver that keeps copies of what it got.
// Single-threaded, like the routes they drive.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "router/route.h"

namespace memfleet::router::testing {

// A copy of a Result, owning its bytes.
struct SeenReply {
  ResultCode code = ResultCode::kOk;
  std::string message;
  std::string value;
};

inline SeenReply Copy(const protocol::Result& r) {
  return SeenReply{r.code, std::string(r.message), std::string(r.value)};
}

inline protocol::Result Reply(ResultCode code, std::string_view value = {}) {
  protocol::Result r;
  r.code = code;
  if (!value.empty()) {
    r.has_value = true;
    r.value = value;
    r.value_length = static_cast<uint32_t>(value.size());
  }
  return r;
}

class Replies final : public ReplyReceiver {
 public:
  void OnReply(const protocol::Result& r) override { got.push_back(Copy(r)); }
  std::vector<SeenReply> got;
};

// A request with its key kept alive by the test.
struct TestRequest {
  explicit TestRequest(std::string k, Op op = Op::kGet) : key(std::move(k)) {
    req.op = op;
    req.key = key;
  }
  std::string key;
  Request req;
};

// A pending reply: the receiver a route gave and the key it was asked.
struct Pending {
  ReplyReceiver* done;
  std::string key;
};

// A child route. With an auto reply set, it answers inside Dispatch; else it keeps the receiver
// until ReplyNext/ReplyAt.
class FakeRoute final : public Route {
 public:
  explicit FakeRoute(std::string name = "fake") : name_(std::move(name)) {}

  void Dispatch(const Request& req, RequestContext&, ReplyReceiver& done) const override {
    keys.push_back(std::string(req.key));
    ops.push_back(req.op);
    requests.push_back(req);
    if (auto_reply) {
      // A copy whose views point at the child's own bytes, overwritten afterwards: a route
      // that keeps the view past OnReply would see the damage.
      scratch_ = std::string(auto_reply->value);
      protocol::Result r = *auto_reply;
      r.value = scratch_;
      done.OnReply(r);
      scratch_.assign(scratch_.size(), '#');
    } else {
      pending.push_back(Pending{&done, std::string(req.key)});
    }
  }
  void Traverse(const Request&, RouteTraverser& t) const override {
    if (destination) t.Destination(*destination);
  }
  std::string_view type() const override { return name_; }

  // Answers the oldest pending request.
  void ReplyNext(const protocol::Result& r) {
    Pending p = pending.front();
    pending.pop_front();
    std::string bytes(r.value);
    protocol::Result copy = r;
    copy.value = bytes;
    p.done->OnReply(copy);
    bytes.assign(bytes.size(), '#');
  }

  std::optional<protocol::Result> auto_reply;
  std::optional<DestinationId> destination;  // what Traverse reports
  mutable std::vector<std::string> keys;
  mutable std::vector<Op> ops;
  // Every request as given: its views stay valid only as long as what they point into (a test's
  // TestRequest, the context's arena).
  mutable std::vector<Request> requests;
  mutable std::deque<Pending> pending;

 private:
  std::string name_;
  mutable std::string scratch_;
};

inline std::shared_ptr<FakeRoute> Fake(std::string name = "fake") {
  return std::make_shared<FakeRoute>(std::move(name));
}
inline std::shared_ptr<FakeRoute> FakeReplying(const protocol::Result& r,
                                               std::string name = "fake") {
  auto f = Fake(std::move(name));
  f->auto_reply = r;
  return f;
}

class FakeContext final : public RequestContext {
 public:
  struct Sent {
    DestinationId dest;
    std::string key;
    ReplyReceiver* done;
  };
  void Send(DestinationId dest, const Request& req, ReplyReceiver& done) override {
    sent.push_back(Sent{dest, std::string(req.key), &done});
    auto it = auto_replies.find(dest);
    if (it != auto_replies.end()) done.OnReply(it->second);
  }
  uint64_t Random() override {
    if (random_values.empty()) return 0;
    uint64_t v = random_values.front();
    random_values.pop_front();
    return v;
  }
  void Hold() override { ++holds; }
  void Release() override {
    ++releases;
    if (releases > holds) over_released = true;
  }
  bool held() const { return holds > releases; }

  std::map<DestinationId, protocol::Result> auto_replies;
  std::deque<uint64_t> random_values;
  std::vector<Sent> sent;
  int holds = 0;
  int releases = 0;
  bool over_released = false;
};

class Destinations final : public RouteTraverser {
 public:
  void Destination(DestinationId d) override { seen.push_back(d); }
  std::vector<DestinationId> seen;
};

}  // namespace memfleet::router::testing
