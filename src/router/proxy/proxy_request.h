// ProxyRequest: one client request while the router serves it — the RequestContext its routes
// see, the owner of its copied bytes, and the place its reply is composed.
//
// The client connection parses a request, copies what the routes need (key, value, meta flags)
// into the request's arena, and hands it to Route(), which selects the route by key (routing
// prefix, or the listener's pool) and dispatches it. A text multi-key retrieval is split: each key
// is dispatched on its own and its reply kept (StoredResult) until every key has answered; then
// the values are composed in the client's key order. Requests the router answers itself (version,
// stats, noop, errors) are composed at once (Finish).
//
// The reply is composed in the client's protocol straight into the connection's output when the
// request is the oldest one pending there and that output has room, or into this request's own
// buffer until those before it are done and the output has room (replies leave in request order;
// a client that does not read holds at most its in-flight requests' replies). The request is
// counted: one reference for the client's reply, one per upstream send still out (sends of
// background routes outlive the client's reply); at zero it returns to its worker's pool, the arena
// is reset and the tree released. Loop thread of its worker only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "router/proxy/worker.h"
#include "router/route.h"

namespace memfleet::router {

class ClientConnection;

class ProxyRequest final : public RequestContext, public ReplyReceiver {
 public:
  explicit ProxyRequest(ProxyWorker* worker)
      : RequestContext(worker->arena_blocks()), worker_(worker) {}

  // Starts a new request of conn (whose reply order it joins) on the worker's current tree.
  void Begin(ClientConnection* conn, TreeRef* tree, int listener);
  // Copies req's bytes into the arena; request() is the copy.
  void SetRequest(const Request& req);
  const Request& request() const { return req_; }
  TreeRef* tree() const { return tree_; }

  // Routes the request (see above).
  void Route();
  // Fans the request out to every server of the tree and answers the worst reply (flush_all).
  void RouteToAll();
  // The router answers r itself.
  void Answer(const protocol::Result& r);
  // Deletes the request's key on its server, then answers r (whatever the delete got): how
  // memcached answers a value too large to store, which also drops the item it would replace.
  void DropKeyThenAnswer(const protocol::Result& r);
  // The reply bytes are already in out_ (stats, protocol errors): deliver them.
  void Finish();
  std::string* out() { return &out_; }

  // The client went away: the request finishes without composing anything.
  void Detach() { conn_ = nullptr; }
  bool done() const { return done_; }
  // Moves the composed reply to the connection (REQUIRES: done()).
  std::string& composed() { return out_; }

  void Send(DestinationId dest, const Request& req, ReplyReceiver& done) override;
  uint64_t Random() override { return worker_->Random(); }
  void Hold() override { ++refs_; }
  void Release() override;
  void OnReply(const protocol::Result& r) override;  // the single-key root's reply

  // Used by the worker's pool.
  void Reset();

 private:
  friend struct KeyPart;
  const router::Route* Select(std::string_view key, std::string_view* routed_key) const;
  // A key with a wildcard routing prefix (RouteTree::SelectWildcard): true, with its routes in
  // wildcard_ and the key after the prefix in *routed_key.
  bool Wildcard(std::string_view key, std::string_view* routed_key);
  // Dispatches req to every route in wildcard_: the first one's reply goes to done, the
  // others' are dropped; an error reply when there is none.
  void Broadcast(const Request& req, ReplyReceiver& done);
  void RouteKeys();
  // A key of a text retrieval has its reply; the last one composes the whole reply. only: the
  // reply itself when the retrieval has one key (nothing was stored in its part).
  void KeyDone(const protocol::Result* only = nullptr);
  bool AdminGet(std::string_view key, protocol::Result* r);
  // The string that receives the reply: the connection's output at the head (when it has
  // room), else out_.
  std::string* ReplyTarget();
  // Makes room in out_ for a reply carrying value_bytes of values.
  void ReserveOwn(size_t value_bytes);
  void Deliver();
  void Count(const protocol::Result& r);

  ProxyWorker* worker_;
  ClientConnection* conn_ = nullptr;
  TreeRef* tree_ = nullptr;
  int listener_ = 0;
  Request req_;
  std::string out_;
  bool done_ = false;
  int64_t refs_ = 0;
  // Multi-key retrieval.
  struct KeyPart** parts_ = nullptr;
  uint32_t keys_total_ = 0;
  uint32_t keys_done_ = 0;
  // flush_all fan-out.
  uint32_t fan_left_ = 0;
  StoredResult fan_worst_;
  // DropKeyThenAnswer: the reply given whatever the upstream answers.
  StoredResult forced_;
  // The routes of a wildcard key (kept across requests for its capacity).
  std::vector<const router::Route*> wildcard_;
};

}  // namespace memfleet::router
