#include "router/resync/replica_resync.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "cluster/copy/memcache_endpoints.h"
#include "protocol/model.h"
#include "protocol/text/client.h"
#include "router/upstream/coarse_clock.h"

namespace memfleet::router::resync {
namespace {

using health::HealthState;

enum Phase : int { kIdle = 0, kChecking = 1, kCopying = 2 };

// Sample keys routed through the tree to find the servers written together with one.
constexpr int kSampleKeys = 256;
// A recovering server whose replay is still withheld this long after the last check is checked
// again (a recovery whose permission was lost to a race).
constexpr int kStaleRecoveryChecks = 3;

int64_t MonotonicMs() { return CoarseClock().now_ms(); }

class Collector final : public RouteTraverser {
 public:
  void Destination(DestinationId d) override { dests.push_back(d); }
  std::vector<DestinationId> dests;
};

// The servers a `set` of key goes to.
void WriteDestinations(const RouteTree& tree, std::string_view key, Collector* c) {
  c->dests.clear();
  protocol::Request req;
  req.op = protocol::Op::kSet;
  std::string_view routed;
  const Route* route = tree.Select(key, &routed);
  if (route == nullptr) return;
  req.key = routed;
  route->Traverse(req, *c);
}

// flush_all on a server of its own connection: the remedy for stale values before a copy.
Status FlushServer(std::string_view address, int timeout_ms) {
  auto conn = cluster::BlockingConnection::Connect(address, timeout_ms);
  if (!conn.ok()) return conn.status();
  protocol::Request req;
  req.op = protocol::Op::kFlushAll;
  std::string out;
  protocol::text::ComposeRequest(req, &out);
  Status s = (*conn)->SendAll(out);
  for (;;) {
    if (!s.ok()) return s;
    protocol::Result r;
    protocol::ReplyParse p =
        protocol::text::ParseReply((*conn)->buffer(), protocol::Op::kFlushAll, &r);
    if (p.status == protocol::ReplyStatus::kOk) {
      if (r.code == protocol::ResultCode::kOk) return Status::Ok();
      return Status::IoError(std::string(address) + ": flush_all refused");
    }
    if (p.status == protocol::ReplyStatus::kMalformed) {
      return Status::IoError(std::string(address) + ": flush_all reply does not parse");
    }
    s = (*conn)->ReadMore();
  }
}

}  // namespace

struct ReplicaResync::Server {
  std::string address;
  std::shared_ptr<health::ServerHealth> health;  // guarded by mu_ (a reload may replace it)
  ServerWriteLog* wlog = nullptr;
  bool queued = false;  // guarded by mu_

  // The checking thread's.
  std::unique_ptr<cluster::BlockingConnection> conn;
  bool have_identity = false;
  ServerIdentity identity;
  int withheld_checks = 0;  // polls that found it recovering with its replay withheld

  std::atomic<bool> resync_pending{false};
  std::atomic<int> phase{kIdle};
  std::atomic<uint64_t> restarts{0}, flushes{0}, resyncs{0}, failures{0}, fallbacks{0};
  // Totals of finished copies (guarded by mu_) and the running one's copier (guarded by mu_).
  uint64_t keys_done = 0, existed_done = 0, bytes_done = 0;
  std::unique_ptr<cluster::KeyCopier> copier;
  std::thread copy_thread;  // joined before the next copy and at the end
};

ReplicaResync::ReplicaResync(const ResyncOptions& options) : options_(options) {}

ReplicaResync::~ReplicaResync() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    for (auto& [address, s] : servers_) {
      if (s->copier) s->copier->Stop();
    }
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  for (auto& [address, s] : servers_) {
    if (s->copy_thread.joinable()) s->copy_thread.join();
  }
}

void ReplicaResync::Start() {
  thread_ = std::thread([this] { Run(); });
}

void ReplicaResync::Configure(std::shared_ptr<const RouteTree> tree, std::vector<Member> members) {
  std::lock_guard<std::mutex> lock(mu_);
  tree_ = std::move(tree);
  for (Member& m : members) {
    auto it = servers_.find(m.address);
    if (it == servers_.end()) {
      auto s = std::make_unique<Server>();
      s->address = m.address;
      it = servers_.emplace(m.address, std::move(s)).first;
    }
    it->second->health = std::move(m.health);
    it->second->wlog = m.wlog;
  }
}

bool ReplicaResync::BeginRecovery(health::ServerHealth& server) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = servers_.find(server.address());
  if (it == servers_.end() || it->second->wlog == nullptr) return false;  // not logged: up
  Server& s = *it->second;
  // The replay waits for the check's permission for this recovery (ServerWriteLog is gated).
  if (!s.queued) {
    s.queued = true;
    queue_.push_back(&s);
  }
  cv_.notify_all();
  return true;
}

std::vector<ReplicaResync::Server*> ReplicaResync::Snapshot() const {
  std::vector<Server*> out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [address, s] : servers_) out.push_back(s.get());
  return out;
}

void ReplicaResync::Run() {
  int64_t next_poll = 0;
  for (;;) {
    Server* job = nullptr;
    {
      std::unique_lock<std::mutex> lock(mu_);
      for (;;) {
        if (stop_) return;
        if (!queue_.empty()) break;
        const int64_t now = MonotonicMs();
        if (now >= next_poll) break;
        cv_.wait_for(lock, std::chrono::milliseconds(next_poll - now));
      }
      if (!queue_.empty()) {
        job = queue_.front();
        queue_.pop_front();
        job->queued = false;
      }
    }
    if (job != nullptr) {
      Check(*job);
      continue;
    }
    for (Server* s : Snapshot()) Poll(*s);
    next_poll = MonotonicMs() + std::max<int64_t>(10, options_.check_interval_ms);
  }
}

Status ReplicaResync::Identify(Server& s, ServerIdentity* seen) {
  // A kept connection may be to the process that died: a fresh one gets a second chance.
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool fresh = s.conn == nullptr;
    if (fresh) {
      auto c = cluster::BlockingConnection::Connect(s.address, options_.timeout_ms);
      if (!c.ok()) return c.status();
      s.conn = std::move(c.value());
    }
    Status st = FetchIdentity(*s.conn, seen);
    if (st.ok()) return st;
    s.conn.reset();
    if (fresh) return st;
  }
  return Status::IoError(s.address + ": no identity");
}

ReplicaResync::Member ReplicaResync::MemberOf(const Server& s) const {
  std::lock_guard<std::mutex> lock(mu_);
  return Member{s.address, s.health, s.wlog};
}

void ReplicaResync::Poll(Server& s) {
  const Member m = MemberOf(s);
  const std::shared_ptr<health::ServerHealth>& health = m.health;
  if (health == nullptr || m.wlog == nullptr) return;
  const HealthState state = health->state();
  if (state == HealthState::kRecovering && !m.wlog->replay_allowed(health->recoveries()) &&
      s.phase.load() == kIdle) {
    // Recovering with the replay withheld and no check queued: the permission was lost (a
    // replay ended just as another recovery began). Check it again.
    if (++s.withheld_checks >= kStaleRecoveryChecks) {
      s.withheld_checks = 0;
      std::lock_guard<std::mutex> lock(mu_);
      if (!s.queued) {
        s.queued = true;
        queue_.push_back(&s);
      }
    }
    return;
  }
  s.withheld_checks = 0;
  if (state != HealthState::kUp) return;
  ServerIdentity seen;
  if (!Identify(s, &seen).ok()) return;  // the workers' health tracking sees what is wrong
  if (!s.have_identity) {
    s.identity = seen;
    s.have_identity = true;
    return;
  }
  const Verdict v = Compare(s.identity, seen);
  s.identity = seen;
  if (v != Verdict::kRestarted) return;
  // Up as another process: its restart was not seen as a failure. No more reads until resynced.
  s.restarts.fetch_add(1);
  s.resync_pending.store(true);
  fprintf(stderr, "resync: %s is up as a new process (pid %llu): marked down for a resync\n",
          s.address.c_str(), static_cast<unsigned long long>(seen.pid));
  health->MarkDownForWriteLog(MonotonicMs());
}

std::vector<std::string> ReplicaResync::ChooseSources(const Server& s, const RouteTree* tree,
                                                      std::vector<Server*>& all) {
  std::vector<std::string> healthy;
  for (Server* o : all) {
    if (o == &s || o->resync_pending.load()) continue;
    const Member m = MemberOf(*o);
    if (m.health == nullptr || m.wlog == nullptr) continue;
    if (m.health->state() != HealthState::kUp || m.wlog->log().HasWork()) continue;
    healthy.push_back(o->address);
  }
  if (tree == nullptr || healthy.empty()) return healthy;
  // Which of them are written together with s, and how often.
  const auto& servers = tree->servers();
  std::map<std::string, int, std::less<>> together;
  int with_s = 0;
  Collector c;
  for (int i = 0; i < kSampleKeys; ++i) {
    WriteDestinations(*tree, "memfleet-resync-sample-" + std::to_string(i), &c);
    bool has_s = false;
    for (DestinationId d : c.dests) has_s |= d < servers.size() && servers[d].address == s.address;
    if (!has_s) continue;
    ++with_s;
    for (DestinationId d : c.dests) {
      if (d < servers.size() && servers[d].address != s.address) ++together[servers[d].address];
    }
  }
  if (with_s == 0) return healthy;  // the samples never reach it (a prefix route): ask them all
  std::vector<std::string> sources;
  for (const std::string& h : healthy) {
    auto it = together.find(h);
    if (it == together.end()) continue;
    if (it->second == with_s) return {h};  // a full replica: it alone is enough
    sources.push_back(h);
  }
  return sources;
}

void ReplicaResync::Check(Server& s) {
  const Member m = MemberOf(s);
  std::shared_ptr<const RouteTree> tree;
  {
    std::lock_guard<std::mutex> lock(mu_);
    tree = tree_;
  }
  const std::shared_ptr<health::ServerHealth>& health = m.health;
  if (health == nullptr || m.wlog == nullptr) return;
  if (health->state() != HealthState::kRecovering || s.phase.load() != kIdle) return;
  const uint64_t recovery = health->recoveries();  // what the permission will be for
  s.phase.store(kChecking);
  ServerIdentity seen;
  if (Status st = Identify(s, &seen); !st.ok()) {
    fprintf(stderr, "resync: %s came back but does not answer stats (%s): down again\n",
            s.address.c_str(), st.message().c_str());
    s.phase.store(kIdle);
    health->MarkDownForWriteLog(MonotonicMs());
    return;
  }
  RecoveryFacts f;
  if (s.have_identity) {
    const Verdict v = Compare(s.identity, seen);
    f.restarted = v == Verdict::kRestarted;
    f.flushed = v == Verdict::kFlushed;
  } else {
    // Never seen up (the router started while it was away, or it died before the first
    // check): nothing proves it kept its memory, and a start time cannot tell (memcached
    // reports a start 62 s before its real one). Copying a healthy replica's keys add-only is
    // harmless to a server that kept everything, so assume it did not.
    f.restarted = true;
  }
  if (f.restarted) s.restarts.fetch_add(1);
  if (f.flushed) s.flushes.fetch_add(1);
  s.identity = seen;
  s.have_identity = true;
  if (f.restarted || f.flushed) s.resync_pending.store(true);
  f.resync_pending = s.resync_pending.load();
  f.log_needs_resync = m.wlog->log().needs_resync();
  std::vector<std::string> sources;
  if (f.resync_pending || f.log_needs_resync) {
    std::vector<Server*> all = Snapshot();
    sources = ChooseSources(s, tree.get(), all);
  }
  f.source_available = !sources.empty();
  const Plan plan = DecideRecovery(f);
  if (plan != Plan::kReplay) {
    fprintf(stderr, "resync: %s came back%s%s%s: %s\n", s.address.c_str(),
            f.restarted ? " as a new process" : "", f.flushed ? " flushed" : "",
            f.log_needs_resync ? " with a log that needs a full resync" : "",
            std::string(PlanName(plan)).c_str());
  }
  switch (plan) {
    case Plan::kReplay:
      break;
    case Plan::kFallbackReplay:
    case Plan::kFallbackFlush:
      s.fallbacks.fetch_add(1);
      s.resync_pending.store(false);
      break;
    case Plan::kCopy:
    case Plan::kFlushCopy:
      if (!health->BeginResync()) {  // down again meanwhile: the next probe checks again
        s.phase.store(kIdle);
        return;
      }
      StartCopy(s, m, plan, recovery, std::move(sources), std::move(tree));
      return;
  }
  s.phase.store(kIdle);
  m.wlog->AllowReplay(recovery);
}

void ReplicaResync::StartCopy(Server& s, const Member& m, Plan plan, uint64_t recovery,
                              std::vector<std::string> sources,
                              std::shared_ptr<const RouteTree> tree) {
  if (s.copy_thread.joinable()) s.copy_thread.join();  // the last copy ended (phase was idle)
  if (plan == Plan::kFlushCopy) {
    // Its log dropped writes: start logging again now (the server is resyncing, so every write
    // from here on is appended and replayed after the copy), then flush the stale values.
    Status st = m.wlog->log().ClearResync();
    if (!st.ok()) fprintf(stderr, "resync: %s: %s\n", s.address.c_str(), st.message().c_str());
  }
  cluster::CopyOptions co;
  co.batch_keys = options_.batch_keys;
  if (tree != nullptr) {
    DestinationId self = static_cast<DestinationId>(tree->servers().size());
    for (size_t i = 0; i < tree->servers().size(); ++i) {
      if (tree->servers()[i].address == s.address) self = static_cast<DestinationId>(i);
    }
    if (self < tree->servers().size()) {
      // Only the keys whose writes go to this server.
      co.filter = [tree, self, c = std::make_shared<Collector>()](std::string_view key) {
        WriteDestinations(*tree, key, c.get());
        return std::find(c->dests.begin(), c->dests.end(), self) != c->dests.end();
      };
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    s.copier = std::make_unique<cluster::KeyCopier>(std::move(co));
    if (stop_) s.copier->Stop();
  }
  s.phase.store(kCopying);
  s.copy_thread = std::thread([this, sp = &s, m, plan, recovery, src = std::move(sources)]() {
    CopyRun(sp, m, plan, recovery, src);
  });
}

void ReplicaResync::CopyRun(Server* s, const Member& m, Plan plan, uint64_t recovery,
                            const std::vector<std::string>& sources) {
  Status st = Status::Ok();
  if (plan == Plan::kFlushCopy) st = FlushServer(s->address, options_.timeout_ms);
  // One full replica, or every server that shares some of its keys: all of them, in turn (adds
  // never overwrite, so what two sources both hold is copied once).
  for (size_t i = 0; st.ok() && i < sources.size(); ++i) {
    st = cluster::CopyBetween(*s->copier, sources[i], s->address, options_.timeout_ms);
    if (!st.ok()) {
      fprintf(stderr, "resync: copy from %s to %s failed: %s\n", sources[i].c_str(),
              s->address.c_str(), st.message().c_str());
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    const cluster::CopyProgress& p = s->copier->progress();
    s->keys_done += p.copied.load();
    s->existed_done += p.existed.load();
    s->bytes_done += p.bytes.load();
    s->copier.reset();
  }
  if (st.ok() && m.health->EndResync()) {
    s->resyncs.fetch_add(1);
    s->resync_pending.store(false);
    s->phase.store(kIdle);
    m.wlog->AllowReplay(recovery);  // the workers replay what arrived meanwhile, then up
    return;
  }
  if (!st.ok()) {
    s->failures.fetch_add(1);
    m.health->MarkDownForWriteLog(MonotonicMs());  // the next good probe copies again
  }
  s->phase.store(kIdle);
}

bool ReplicaResync::StatsFor(std::string_view address, Stats* out) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = servers_.find(address);
  if (it == servers_.end()) return false;
  const Server& s = *it->second;
  static const char* const kPhases[] = {"idle", "checking", "copying"};
  out->phase = kPhases[s.phase.load() % 3];
  out->restarts = s.restarts.load();
  out->flushes = s.flushes.load();
  out->resyncs = s.resyncs.load();
  out->failures = s.failures.load();
  out->fallbacks = s.fallbacks.load();
  out->keys = s.keys_done;
  out->existed = s.existed_done;
  out->bytes = s.bytes_done;
  if (s.copier) {
    out->keys += s.copier->progress().copied.load();
    out->existed += s.copier->progress().existed.load();
    out->bytes += s.copier->progress().bytes.load();
  }
  return true;
}

}  // namespace memfleet::router::resync
