// Route handles: the router is a tree of small routes, each with one job (pick a server by hash,
// fan a write out to replicas, choose a subtree by key prefix...). A client request enters at the
// root of the tree its key selects and travels down; the leaves send it to upstream servers; the
// replies travel back up, where each route decides which reply wins.
//
// Routing is asynchronous without callbacks that allocate: a route's Dispatch(req, ctx, done)
// forwards the request to its children with receivers of its own (allocated in the request's
// arena, see RequestContext) and eventually calls done.OnReply exactly once, possibly before
// Dispatch returns (NullRoute, a route answering from state it holds). The Result a receiver gets
// holds views into the upstream's read buffer that are valid only during OnReply; a route that
// keeps a reply past that call copies it (StoredResult).
//
// Lifetimes: a RequestContext lives until the client's reply is composed AND every send made for
// the request has completed (AllAsyncRoute's sends outlive the client's reply: they Hold the
// context). A Request handed to Dispatch stays valid for the life of its context; a route that
// changes a request (another exptime, a different key) makes its own copy in the arena.
//
// Threads: a route tree is immutable once built and is shared by every worker thread; Dispatch is
// const and keeps per-request state only in the context. A context belongs to one worker and is
// used on its thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "protocol/model.h"

namespace memfleet::router {

using protocol::Op;
using protocol::Request;
// The reply type is protocol::Result, always written out: a bare `Result` in this namespace is
// memfleet::Result<T> (common/status.h), the fallible-return type of the config loader and the
// hash functions.
using protocol::ResultCode;

// An upstream server, by its index in the route tree's server table (RouteTree::servers).
using DestinationId = uint32_t;

// Receives one route's reply.
class ReplyReceiver {
 public:
  // Called exactly once per Dispatch/Send. r's views are valid only during the call.
  virtual void OnReply(const protocol::Result& r) = 0;

 protected:
  ~ReplyReceiver() = default;
};

// Standard arena blocks kept for reuse by every arena of one thread (a worker's requests), up to a
// bound, so that a request that needed many blocks (a 100-key multi-get) does not allocate them
// again and a thousand pooled requests do not each keep their own. Not thread-safe.
class ArenaBlockPool {
 public:
  explicit ArenaBlockPool(size_t max_blocks = 1024) : max_blocks_(max_blocks) {}
  std::unique_ptr<char[]> Take(size_t size);
  void Give(std::unique_ptr<char[]> block);
  size_t size() const { return free_.size(); }

 private:
  size_t max_blocks_;
  std::vector<std::unique_ptr<char[]>> free_;
};

// Bump allocation for one request's route state, freed all at once. Objects with destructors are
// destroyed (in reverse order of construction) when the arena is reset. Not thread-safe.
class Arena {
 public:
  // pool: where standard blocks come from and go back to (nullptr: a few are kept here).
  explicit Arena(ArenaBlockPool* pool = nullptr) : pool_(pool) {}
  ~Arena() { Reset(); }
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  void* Allocate(size_t bytes, size_t align = alignof(std::max_align_t));
  template <class T, class... Args>
  T* Make(Args&&... args) {
    void* p = Allocate(sizeof(T), alignof(T));
    T* t = new (p) T(std::forward<Args>(args)...);
    if constexpr (!std::is_trivially_destructible_v<T>) {
      auto* d = static_cast<Destructor*>(Allocate(sizeof(Destructor), alignof(Destructor)));
      d->object = t;
      d->destroy = [](void* o) { static_cast<T*>(o)->~T(); };
      d->next = destructors_;
      destructors_ = d;
    }
    return t;
  }
  // Copies bytes into the arena.
  std::string_view Copy(std::string_view s);
  // Runs the destructors, keeps a few standard blocks for the next request, frees the rest.
  void Reset();
  size_t used() const { return used_total_; }

 private:
  struct Destructor {
    void* object;
    void (*destroy)(void*);
    Destructor* next;
  };
  static constexpr size_t kBlockSize = 4096;
  static constexpr size_t kMaxSpareBlocks = 4;
  ArenaBlockPool* pool_;
  std::vector<std::unique_ptr<char[]>> blocks_;  // standard blocks in use
  std::vector<std::unique_ptr<char[]>> spare_;   // standard blocks kept from earlier requests
  std::vector<std::unique_ptr<char[]>> big_;     // oversized blocks of this request
  char* cur_ = nullptr;
  size_t left_ = 0;
  size_t used_total_ = 0;
  Destructor* destructors_ = nullptr;
};

// A reply kept past its OnReply call: the Result with every view copied into the arena.
struct StoredResult {
  protocol::Result result;
  bool set = false;
  void Assign(const protocol::Result& r, Arena& arena);
};

// What a route needs from the router while it routes one client request: the arena, the way to
// reach an upstream server from this worker, and randomness. The worker implements Send (router
// server); tests implement it with fakes.
class RequestContext {
 public:
  explicit RequestContext(ArenaBlockPool* pool = nullptr) : arena_(pool) {}
  virtual ~RequestContext() = default;
  RequestContext(const RequestContext&) = delete;
  RequestContext& operator=(const RequestContext&) = delete;

  // Sends one single-key (or keyless) request to upstream server dest; done receives its reply,
  // or a router-made failure (timeout, connect error, TKO). req need only be valid during the
  // call (the upstream composes it at once), but done must live until it is called.
  virtual void Send(DestinationId dest, const Request& req, ReplyReceiver& done) = 0;

  // A pseudo-random number from the worker's generator (RandomRoute, sampling).
  virtual uint64_t Random() = 0;

  // A route with work still outstanding after the client has its reply (AllAsyncRoute) holds
  // the context; each Hold is matched by one Release, which may free the context.
  virtual void Hold() = 0;
  virtual void Release() = 0;

  Arena& arena() { return arena_; }
  template <class T, class... Args>
  T* Make(Args&&... args) {
    return arena_.Make<T>(std::forward<Args>(args)...);
  }

 protected:
  Arena arena_;
};

// Collects what a request would touch, for `get __memfleet__.route(OP,KEY)` and for tests:
// every destination a route would send the request to.
class RouteTraverser {
 public:
  virtual void Destination(DestinationId dest) = 0;

 protected:
  ~RouteTraverser() = default;
};

class Route {
 public:
  virtual ~Route() = default;
  // Routes req; done.OnReply is called exactly once, maybe before this returns.
  virtual void Dispatch(const Request& req, RequestContext& ctx, ReplyReceiver& done) const = 0;
  // Reports every destination Dispatch would send req to (all children of a fan-out, the one a
  // hash picks, none for NullRoute).
  virtual void Traverse(const Request& req, RouteTraverser& t) const = 0;
  // The handle's type as configs name it ("PoolRoute", "AllSyncRoute"...).
  virtual std::string_view type() const = 0;
};

using RoutePtr = std::shared_ptr<const Route>;

// The reply a route gives for a request it does not send anywhere (NullRoute, AllAsyncRoute's
// immediate answer): mcrouter's default reply — a miss for a retrieval, not stored for a storage
// command, not found for delete/touch/incr/decr, ok for the rest.
protocol::Result DefaultReply(Op op);
// An error reply made by the router itself (ErrorRoute): code kRemoteError (or the given code)
// with `line` as the whole error line, e.g. "SERVER_ERROR no route" (the caller keeps the bytes
// alive, e.g. in the route). An empty line gives the protocol's standard words for the code.
protocol::Result ErrorReply(std::string_view line, ResultCode code = ResultCode::kRemoteError);

}  // namespace memfleet::router
