#include "router/proxy/proxy_request.h"

#include <cstring>
#include <optional>
#include <span>
#include <vector>

#include "protocol/text/request.h"
#include "protocol/translate.h"
#include "router/proxy/client_connection.h"

namespace memfleet::router {
namespace {

// Admin keys: `get __memfleet__.route(OP,KEY)`, `get __memfleet__.config_md5` (mcrouter users'
// `__mcrouter__.` spelling works too).
constexpr std::string_view kAdminPrefix = "__memfleet__.";
constexpr std::string_view kAdminPrefixMcrouter = "__mcrouter__.";

// Counts one send toward the request's life and passes its reply on.
struct SendTracker final : public ReplyReceiver {
  SendTracker(ProxyRequest* o, ReplyReceiver* i) : owner(o), inner(i) {}
  void OnReply(const protocol::Result& r) override {
    ProxyRequest* o = owner;
    inner->OnReply(r);
    o->Release();  // last: may free the arena this tracker lives in
  }
  ProxyRequest* owner;
  ReplyReceiver* inner;
};

// The replies of a wildcard key's other routes: run in the background, dropped.
struct DropReply final : public ReplyReceiver {
  void OnReply(const protocol::Result&) override {}
};
DropReply drop_reply;

// One server's reply to a fanned-out flush_all.
struct FanPart final : public ReplyReceiver {
  explicit FanPart(ReplyReceiver* o) : owner(o) {}
  void OnReply(const protocol::Result& r) override { owner->OnReply(r); }
  ReplyReceiver* owner;
};

std::optional<protocol::Op> OpByName(std::string_view name) {
  for (int i = 0; i <= static_cast<int>(Op::kMetaDebug); ++i) {
    auto op = static_cast<Op>(i);
    if (protocol::OpName(op) == name) return op;
  }
  return std::nullopt;
}

class DestinationCollector final : public RouteTraverser {
 public:
  explicit DestinationCollector(std::vector<DestinationId>* out) : out_(out) {}
  void Destination(DestinationId d) override { out_->push_back(d); }

 private:
  std::vector<DestinationId>* out_;
};

}  // namespace

struct KeyPart final : public ReplyReceiver {
  KeyPart(ProxyRequest* o, std::string_view k) : owner(o), key(k) {}
  void OnReply(const protocol::Result& r) override {
    if (owner->keys_total_ == 1) {
      // One key: compose from the reply itself, without keeping a copy of its value.
      owner->KeyDone(&r);
      return;
    }
    if (protocol::IsError(r.code)) {
      result.Assign(r, owner->arena());  // the error line ends the client's reply
    } else {
      // A hit's VALUE line needs its flags, cas and value; the key is the part's own.
      result.result = r;
      result.result.key = {};
      result.result.message = result.result.opaque = result.result.text = {};  // views not kept
      result.result.value = owner->arena().Copy(r.value);
      result.set = true;
    }
    owner->KeyDone();
  }
  ProxyRequest* owner;
  std::string_view key;
  StoredResult result;
  Request single;  // the request routed for this key (SingleKey)
};

void ProxyRequest::Begin(ClientConnection* conn, TreeRef* tree, int listener) {
  conn_ = conn;
  tree_ = tree;
  listener_ = listener;
  done_ = false;
  refs_ = 1;  // the client's reply
  out_.clear();
  parts_ = nullptr;
  keys_total_ = keys_done_ = 0;
  fan_left_ = 0;
  fan_worst_ = StoredResult{};
  forced_ = StoredResult{};
  worker_->stats().requests_in_flight.Add();
}

void ProxyRequest::Reset() {
  arena_.Reset();
  if (tree_ != nullptr) worker_->ReleaseTree(tree_);
  tree_ = nullptr;
  conn_ = nullptr;
  req_ = Request{};
  if (out_.capacity() > 64 * 1024) std::string().swap(out_);
}

void ProxyRequest::SetRequest(const Request& req) {
  req_ = req;
  req_.key = arena_.Copy(req.key);
  req_.keys = arena_.Copy(req.keys);
  req_.value = arena_.Copy(req.value);
  req_.args = arena_.Copy(req.args);
  if (!req.meta.tokens.empty()) {
    auto* tokens = static_cast<std::string_view*>(arena_.Allocate(
        sizeof(std::string_view) * req.meta.tokens.size(), alignof(std::string_view)));
    for (size_t i = 0; i < req.meta.tokens.size(); ++i) tokens[i] = arena_.Copy(req.meta.tokens[i]);
    req_.meta.tokens = std::span<const std::string_view>(tokens, req.meta.tokens.size());
  }
}

const router::Route* ProxyRequest::Select(std::string_view key,
                                          std::string_view* routed_key) const {
  const RouteTree& tree = *tree_->tree;
  if (!tree.listeners().empty()) {
    *routed_key = key;
    size_t i = static_cast<size_t>(listener_) < tree.listeners().size() ? listener_ : 0;
    return tree.listeners()[i].route.get();
  }
  return tree.Select(key, routed_key);
}

void ProxyRequest::Route() {
  WorkerStats& s = worker_->stats();
  s.requests_by_op[static_cast<size_t>(req_.op)].Add();
  if (protocol::IsRetrieval(req_.op) && req_.protocol == protocol::Protocol::kText) {
    RouteKeys();
    return;
  }
  if (req_.key.starts_with(kAdminPrefix) || req_.key.starts_with(kAdminPrefixMcrouter)) {
    protocol::Result r;
    if (protocol::IsRetrieval(req_.op) && AdminGet(req_.key, &r)) {
      Answer(r);
      return;
    }
  }
  std::string_view key;
  if (Wildcard(req_.key, &key)) {
    req_.key = key;
    Broadcast(req_, *this);
    return;
  }
  const router::Route* route = Select(req_.key, &key);
  if (route == nullptr) {
    Answer(ErrorReply("SERVER_ERROR no route"));
    return;
  }
  if (key.size() != req_.key.size()) req_.key = key;
  route->Dispatch(req_, *this, *this);
}

bool ProxyRequest::Wildcard(std::string_view key, std::string_view* routed_key) {
  const RouteTree& tree = *tree_->tree;
  return tree.listeners().empty() && tree.SelectWildcard(key, routed_key, &wildcard_);
}

void ProxyRequest::Broadcast(const Request& req, ReplyReceiver& done) {
  if (wildcard_.empty()) {
    done.OnReply(ErrorReply("SERVER_ERROR no route"));
    return;
  }
  Hold();
  for (size_t i = 1; i < wildcard_.size(); ++i) wildcard_[i]->Dispatch(req, *this, drop_reply);
  wildcard_[0]->Dispatch(req, *this, done);
  Release();
}

void ProxyRequest::RouteKeys() {
  // Count the keys (the parser did), then dispatch each; replies are kept until all are in.
  const std::string_view keys = req_.keys.empty() ? req_.key : req_.keys;
  uint32_t n = req_.key_count;
  std::string_view key;
  if (n == 0) {
    protocol::text::KeyIterator count(keys);
    while (count.Next(&key)) ++n;
  }
  keys_total_ = n;
  keys_done_ = 0;
  // Each part on its own, so that a 100-key request takes the arena's standard blocks (reused
  // from the worker's pool) rather than one oversized block malloc'd and freed per request.
  parts_ = static_cast<KeyPart**>(arena_.Allocate(sizeof(KeyPart*) * n, alignof(KeyPart*)));
  protocol::text::KeyIterator it(keys);
  uint32_t made = 0;
  while (made < n && it.Next(&key)) {
    parts_[made++] = new (arena_.Allocate(sizeof(KeyPart), alignof(KeyPart))) KeyPart(this, key);
  }
  n = keys_total_ = made;  // a count that disagreed with the keys cannot leave a part unmade
  worker_->stats().cmd_get.Add(n);
  // Hold the request while dispatching, so that keys answered at once cannot finish it early.
  Hold();
  for (uint32_t i = 0; i < n; ++i) {
    KeyPart& part = *parts_[i];
    protocol::Result admin;
    if ((part.key.starts_with(kAdminPrefix) || part.key.starts_with(kAdminPrefixMcrouter)) &&
        AdminGet(part.key, &admin)) {
      part.OnReply(admin);
      continue;
    }
    std::string_view routed;
    if (Wildcard(part.key, &routed)) {
      part.single = protocol::SingleKey(req_, routed);
      Broadcast(part.single, part);
      continue;
    }
    const router::Route* route = Select(part.key, &routed);
    if (route == nullptr) {
      part.OnReply(ErrorReply("SERVER_ERROR no route"));
      continue;
    }
    part.single = protocol::SingleKey(req_, routed);
    route->Dispatch(part.single, *this, part);
  }
  Release();
}

void ProxyRequest::KeyDone(const protocol::Result* only) {
  if (++keys_done_ < keys_total_) return;
  // The reply of key i: kept in its part, or (one key) the reply being delivered.
  auto result_of = [this, only](uint32_t i) -> const protocol::Result& {
    return only != nullptr ? *only : parts_[i]->result.result;
  };
  std::string* out = ReplyTarget();
  WorkerStats& s = worker_->stats();
  for (uint32_t i = 0; i < keys_total_; ++i) {
    const protocol::Result& r = result_of(i);
    s.results_by_code[static_cast<size_t>(r.code)].Add();
    if (protocol::IsError(r.code)) {
      // memcached has no per-key error in a multi-get: the first error ends the reply.
      if (out != nullptr) protocol::ComposeClientReply(req_, r, out);
      Deliver();
      return;
    }
    if (protocol::IsHit(r.code)) {
      s.get_hits.Add();
    } else {
      s.get_misses.Add();
    }
  }
  if (out == &out_) {
    size_t bytes = 0;
    for (uint32_t i = 0; i < keys_total_; ++i) {
      const protocol::Result& r = result_of(i);
      if (protocol::IsHit(r.code)) bytes += r.value.size() + parts_[i]->key.size();
    }
    ReserveOwn(bytes + 64 * keys_total_);
  }
  if (out != nullptr) {
    for (uint32_t i = 0; i < keys_total_; ++i) {
      const protocol::Result& r = result_of(i);
      if (protocol::IsHit(r.code)) protocol::ComposeClientValue(req_, parts_[i]->key, r, out);
    }
    protocol::ComposeClientEnd(req_, out);
  }
  Deliver();
}

bool ProxyRequest::AdminGet(std::string_view key, protocol::Result* r) {
  std::string_view name =
      key.substr(key.starts_with(kAdminPrefix) ? kAdminPrefix.size() : kAdminPrefixMcrouter.size());
  std::string value;
  if (name == "config_md5") {
    value = tree_->tree->md5();
  } else if (name.starts_with("route(") && name.ends_with(")")) {
    // route(OP,KEY): the servers a request OP for KEY goes to, one "host:port" per line.
    std::string_view args = name.substr(6, name.size() - 7);
    size_t comma = args.find(',');
    if (comma == std::string_view::npos) return false;
    auto op = OpByName(args.substr(0, comma));
    if (!op) return false;
    Request probe;
    probe.op = *op;
    probe.key = args.substr(comma + 1);
    std::string_view routed;
    const router::Route* route = Select(probe.key, &routed);
    probe.key = routed;
    std::vector<DestinationId> dests;
    DestinationCollector collect(&dests);
    if (route != nullptr) route->Traverse(probe, collect);
    for (DestinationId d : dests) {
      if (d < tree_->tree->servers().size()) {
        if (!value.empty()) value += "\r\n";
        value += tree_->tree->servers()[d].address;
      }
    }
  } else {
    return false;
  }
  *r = protocol::Result{};
  r->code = ResultCode::kFound;
  r->has_value = true;
  r->has_flags = true;
  r->value = arena_.Copy(value);
  r->value_length = static_cast<uint32_t>(r->value.size());
  return true;
}

void ProxyRequest::RouteToAll() {
  const auto& servers = tree_->tree->servers();
  if (servers.empty()) {
    protocol::Result r;
    r.code = ResultCode::kOk;
    Answer(r);
    return;
  }
  fan_left_ = static_cast<uint32_t>(servers.size());
  Hold();
  for (DestinationId d = 0; d < servers.size(); ++d) {
    Send(d, req_, *arena_.Make<FanPart>(this));
  }
  Release();
}

void ProxyRequest::Send(DestinationId dest, const Request& req, ReplyReceiver& done) {
  if (dest >= tree_->upstreams.size() || tree_->upstreams[dest] == nullptr) {
    done.OnReply(ErrorReply("SERVER_ERROR no such server"));
    return;
  }
  Hold();
  auto* tracker = arena_.Make<SendTracker>(this, &done);
  tree_->upstreams[dest]->Send(req, *tracker);
}

void ProxyRequest::DropKeyThenAnswer(const protocol::Result& r) {
  forced_.Assign(r, arena_);
  std::string_view key;
  const router::Route* route = Select(req_.key, &key);
  if (route == nullptr) {
    Answer(forced_.result);
    return;
  }
  // The request's own shape (protocol, key form) with nothing but the key: a plain delete.
  protocol::Request* drop = arena_.Make<protocol::Request>(req_);
  drop->op = Op::kDelete;
  drop->key = key;
  drop->keys = key;
  drop->value = {};
  drop->value_length = 0;
  drop->cas = 0;
  drop->exptime = 0;
  drop->noreply = false;
  drop->meta.tokens = {};
  route->Dispatch(*drop, *this, *this);
}

void ProxyRequest::OnReply(const protocol::Result& r) {
  if (forced_.set) {
    Answer(forced_.result);
    return;
  }
  if (fan_left_ > 0) {
    // flush_all: keep the worst reply until every server has answered.
    if (!fan_worst_.set || protocol::WorseThan(r.code, fan_worst_.result.code)) {
      fan_worst_.Assign(r, arena_);
    }
    if (--fan_left_ > 0) return;
    Answer(fan_worst_.result);
    return;
  }
  Answer(r);
}

void ProxyRequest::Count(const protocol::Result& r) {
  WorkerStats& s = worker_->stats();
  s.results_by_code[static_cast<size_t>(r.code)].Add();
  const bool hit = protocol::IsHit(r.code);
  switch (req_.op) {
    case Op::kGet:
    case Op::kGets:
      s.cmd_get.Add();
      (hit ? s.get_hits : s.get_misses).Add();
      break;
    case Op::kGat:
    case Op::kGats:
    case Op::kTouch:
      s.cmd_touch.Add();
      (hit ? s.touch_hits : s.touch_misses).Add();
      break;
    case Op::kSet:
    case Op::kAdd:
    case Op::kReplace:
    case Op::kAppend:
    case Op::kPrepend:
      s.cmd_set.Add();
      (hit ? s.set_stored : s.set_not_stored).Add();
      break;
    case Op::kCas:
      s.cmd_set.Add();
      (hit ? s.cas_hits : r.code == ResultCode::kExists ? s.cas_badval : s.cas_misses).Add();
      break;
    case Op::kDelete:
      (hit ? s.delete_hits : s.delete_misses).Add();
      break;
    case Op::kIncr:
      (hit ? s.incr_hits : s.incr_misses).Add();
      break;
    case Op::kDecr:
      (hit ? s.decr_hits : s.decr_misses).Add();
      break;
    case Op::kFlushAll:
      s.cmd_flush.Add();
      break;
    default:
      break;
  }
}

void ProxyRequest::Answer(const protocol::Result& r) {
  Count(r);
  std::string* out = ReplyTarget();
  if (out == &out_ && r.has_value) ReserveOwn(r.value.size());
  if (out != nullptr) protocol::ComposeClientReply(req_, r, out);
  Deliver();
}

void ProxyRequest::ReserveOwn(size_t value_bytes) {
  // A reply that waits in out_ is held as long as the client does not read: grow the buffer
  // once, to its size, instead of doubling past it while the pieces are appended.
  constexpr size_t kHeadRoom = 512;
  out_.reserve(out_.size() + value_bytes + kHeadRoom);
}

void ProxyRequest::Finish() {
  Deliver();  // the connection moves out_ to its output in turn
}

std::string* ProxyRequest::ReplyTarget() {
  if (conn_ == nullptr) return nullptr;
  std::string* head = conn_->IsHead(this) ? conn_->HeadOutput() : nullptr;
  return head != nullptr ? head : &out_;
}

void ProxyRequest::Deliver() {
  done_ = true;
  WorkerStats& s = worker_->stats();
  s.requests_in_flight.Sub();
  if (conn_ != nullptr) conn_->RequestDone(this);
  Release();  // the client's reference
}

void ProxyRequest::Release() {
  if (--refs_ == 0) worker_->FreeRequest(this);
}

}  // namespace memfleet::router
