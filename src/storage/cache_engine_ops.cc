// CacheEngine commands: get, touch, allocate/store, delete, incr/decr, flush_all, memory limit.
#include <algorithm>
#include <charconv>
#include <cstring>

#include "storage/cache_engine.h"

namespace memfleet::storage {
namespace {

constexpr RelTime kUpdateInterval = 60;  // memcached's ITEM_UPDATE_INTERVAL
constexpr uint16_t kMaxPins = 8000;      // refuse to pin (report a miss) beyond this (item_ref)

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// memcached's safe_strtoull() applied to a stored value. memcached stores "\r\n" after the value,
// so the end of our value behaves like a whitespace terminator.
bool ParseCounter(const char* p, size_t n, uint64_t* out) {
  size_t i = 0;
  while (i < n && IsSpace(p[i])) i++;
  bool neg = false;
  if (i < n && (p[i] == '+' || p[i] == '-')) {
    neg = p[i] == '-';
    i++;
  }
  size_t start = i;
  uint64_t v = 0;
  bool overflow = false;
  while (i < n && p[i] >= '0' && p[i] <= '9') {
    uint64_t d = static_cast<uint64_t>(p[i] - '0');
    if (v > (UINT64_MAX - d) / 10) overflow = true;
    v = v * 10 + d;
    i++;
  }
  if (i == start || overflow) return false;
  if (i < n && !IsSpace(p[i]) && p[i] != '\0') return false;
  if (neg) v = ~v + 1;  // strtoull negates
  if (neg && static_cast<int64_t>(v) < 0) return false;
  *out = v;
  return true;
}

}  // namespace

void CacheEngine::CountHit(Session& s, const ItemHeader* it) {
  s.cls(arena_->ClassOfPtr(it)).get_hits.Add();
  s.cls(LruClassOf(it)).hits_to[static_cast<int>(it->segment())].Add();
}

void CacheEngine::Bump(Session& s, ItemId id, ItemHeader* it, RelTime now) {
  (void)s;
  uint8_t f = it->Flags();
  RelTime at = it->atime.load(std::memory_order_relaxed);
  if (!segmented_) {
    if (!(f & item_flag::kFetched)) it->flags.fetch_or(item_flag::kFetched);
    if (now >= at + kUpdateInterval) {
      it->atime.store(now, std::memory_order_relaxed);
      int cls = LruClassOf(it);
      LruQueue& q = Queue(cls, it->segment());
      std::unique_lock<std::mutex> l(q.mu, std::try_to_lock);
      if (!l.owns_lock()) {
        lru_bumps_dropped_.fetch_add(1, std::memory_order_relaxed);
        return;
      }
      Segment seg = it->segment();
      QueueRemoveLocked(q, id, it);
      QueuePushLocked(q, id, it, seg);
    }
    return;
  }
  // COLD items keep their time: the COLD tail's age is the scale HOT and WARM ages are set by.
  const bool cold = it->segment() == Segment::kCold;
  if (!cold && now >= at + kUpdateInterval) it->atime.store(now, std::memory_order_relaxed);
  if (f & item_flag::kActive) return;
  if (!(f & item_flag::kFetched)) {
    it->flags.fetch_or(item_flag::kFetched);
    return;
  }
  // A second hit marks the item ACTIVE, in every segment. memcached moves a COLD item to WARM
  // right away (through a queue for its maintainer); here the move waits until the item reaches
  // the COLD tail, where the maintainer or an eviction moves an ACTIVE item to WARM instead of
  // evicting it. The protection is the same, and a hit never touches a queue (two cache misses
  // on the neighbours, and a lock).
  it->flags.fetch_or(item_flag::kActive);
  if (!cold) it->atime.store(now, std::memory_order_relaxed);
}

ItemRef CacheEngine::PinLocked(ItemHeader* it) {
  if (RefCount(it) >= kMaxPins) return {};
  it->refcount.fetch_add(1, std::memory_order_relaxed);
  return ItemRef(this, it);
}

void CacheEngine::Prefetch(const std::string_view* keys, size_t n) {
  uint32_t hv[kMaxPrefetch];
  n = PrefetchStart(keys, n, hv);
  // One key alone gains nothing from the second pass: its lock and bucket lines would be waited
  // for right here instead of in the lookup. Its first pass overlaps with the parsing.
  if (n < 2) return;
  PrefetchFinish(hv, n);
}

size_t CacheEngine::PrefetchStart(const std::string_view* keys, size_t n, uint32_t* hv) {
  n = std::min(n, kMaxPrefetch);
  for (size_t i = 0; i < n; i++) {
    hv[i] = table_.Hash(keys[i]);
    table_.PrefetchBucket(hv[i]);
  }
  return n;
}

void CacheEngine::PrefetchFinish(const uint32_t* hv, size_t n) {
  for (size_t i = 0; i < n; i++) table_.PrefetchChain(hv[i]);
}

ItemRef CacheEngine::Get(Session& s, std::string_view key) {
  if (key.empty() || key.size() > kKeyMaxLength) {
    s.get_misses.Add();
    return {};
  }
  uint32_t hv = table_.Hash(key);
  std::lock_guard<std::mutex> g(table_.LockFor(hv));
  ItemId id;
  ItemHeader* it = FindLive(&s, hv, key, &id);
  if (it == nullptr || RefCount(it) >= kMaxPins) {
    s.get_misses.Add();
    return {};
  }
  it->refcount.fetch_add(1, std::memory_order_relaxed);
  Bump(s, id, it, clock_->Now());
  CountHit(s, it);
  return ItemRef(this, it);
}

ItemRef CacheEngine::GetAndTouch(Session& s, std::string_view key, RelTime exptime) {
  return TouchImpl(s, key, exptime);
}

bool CacheEngine::Touch(Session& s, std::string_view key, RelTime exptime) {
  return static_cast<bool>(TouchImpl(s, key, exptime));
}

// Sets a new exptime on a live item and pins it. An item stored without an exptime slot is
// copied into one that has it (same cas, as memcached keeps the cas on touch).
ItemRef CacheEngine::TouchImpl(Session& s, std::string_view key, RelTime exptime) {
  if (key.empty() || key.size() > kKeyMaxLength) {
    s.touch_misses.Add();
    return {};
  }
  uint32_t hv = table_.Hash(key);
  int li = static_cast<int>(table_.LockIndex(hv));
  std::lock_guard<std::mutex> g(table_.LockAt(li));
  ItemId id;
  ItemHeader* it = FindLive(&s, hv, key, &id);
  if (it != nullptr && exptime != 0 && !it->Has(item_flag::kHasExptime)) {
    AllocResult r;
    ItemHeader* n =
        AllocItem(layout_.KeyView(it), layout_.ClientFlags(it), exptime, it->nbytes, li, &r);
    if (n == nullptr) {
      it = nullptr;
    } else {
      CopyValueInto(it, n, 0);
      layout_.SetCas(n, layout_.Cas(it));
      n->flags.fetch_or(it->Flags() & (item_flag::kFetched | item_flag::kActive));
      ItemId nid = arena_->IdOf(n);
      ReplaceLocked(hv, id, it, nid, n, /*keep_cas=*/true);
      // The same item moved to a bigger chunk: not a new item for total_items.
      total_items_.fetch_sub(1, std::memory_order_relaxed);
      Release(n);  // the allocation reference; the link holds it now
      it = n;
      id = nid;
    }
  } else if (it != nullptr && it->Has(item_flag::kHasExptime)) {
    layout_.SetExptime(it, exptime);
  }
  if (it == nullptr || RefCount(it) >= kMaxPins) {
    s.touch_misses.Add();
    return {};
  }
  it->refcount.fetch_add(1, std::memory_order_relaxed);
  Bump(s, id, it, clock_->Now());
  // gat/gats count as touches only, never as get hits or misses (as memcached counts them).
  s.cls(arena_->ClassOfPtr(it)).touch_hits.Add();
  return ItemRef(this, it);
}

AllocResult CacheEngine::Allocate(Session& s, std::string_view key, uint32_t client_flags,
                                  RelTime exptime, uint32_t value_length, ItemRef* out) {
  (void)s;
  AllocResult r;
  ItemHeader* it = AllocItem(key, client_flags, exptime, value_length, -1, &r);
  if (it != nullptr) *out = ItemRef(this, it);
  return r;
}

StoreResult CacheEngine::Store(Session& s, StoreOp op, ItemRef& item, uint64_t cas,
                               uint64_t* cas_out) {
  return StoreImpl(s, op, item, cas, /*set_stale=*/false, cas_out);
}

StoreResult CacheEngine::StoreImpl(Session& s, StoreOp op, ItemRef& item, uint64_t cas,
                                   bool set_stale, uint64_t* cas_out) {
  auto* it = static_cast<ItemHeader*>(item.raw());
  if (it == nullptr || it->Has(item_flag::kLinked)) return StoreResult::kNotStored;
  std::string_view key = layout_.KeyView(it);
  uint32_t hv = table_.Hash(key);
  ItemId id = arena_->IdOf(it);
  s.cls(arena_->ClassOfPtr(it)).cmd_set.Add();
  int li = static_cast<int>(table_.LockIndex(hv));
  std::lock_guard<std::mutex> g(table_.LockAt(li));
  ItemId old_id;
  ItemHeader* old = FindLive(&s, hv, key, &old_id);
  StoreResult r = StoreResult::kNotStored;
  ItemHeader* stored = nullptr;
  if (old != nullptr) {
    switch (op) {
      case StoreOp::kAdd: {
        // add fails on a hit but refreshes the existing item, as memcached.
        RelTime now = clock_->Now();
        if (now >= old->atime.load(std::memory_order_relaxed) + kUpdateInterval) {
          old->atime.store(now, std::memory_order_relaxed);
        }
        break;
      }
      case StoreOp::kCas:
        if (cas != 0 && cas == layout_.Cas(old)) {
          s.cls(arena_->ClassOfPtr(old)).cas_hits.Add();
          ReplaceLocked(hv, old_id, old, id, it, false);
          stored = it;
          r = StoreResult::kStored;
        } else if (set_stale && cas < layout_.Cas(old)) {
          // ms ... I with an older cas: store the value but keep it stale, with the old TTL
          // and the old win token (memcached's CAS_STALE).
          s.cls(arena_->ClassOfPtr(old)).cas_hits.Add();
          stored = StoreStaleLocked(li, hv, old_id, old, it);
          if (stored != nullptr) r = StoreResult::kStored;
        } else {
          s.cls(arena_->ClassOfPtr(old)).cas_badval.Add();
          r = StoreResult::kExists;
        }
        break;
      case StoreOp::kAppend:
      case StoreOp::kPrepend: {
        // A cas given with append/prepend (binary and meta protocols) must match, as memcached.
        if (cas != 0 && cas != layout_.Cas(old)) {
          r = StoreResult::kExists;
          break;
        }
        AllocResult ar;
        ItemHeader* n = AllocItem(key, layout_.ClientFlags(old), layout_.Exptime(old),
                                  old->nbytes + it->nbytes, li, &ar);
        if (n == nullptr) break;  // NOT_STORED, as memcached (too large or no memory)
        if (op == StoreOp::kAppend) {
          CopyValueInto(old, n, 0);
          CopyValueInto(it, n, old->nbytes);
        } else {
          CopyValueInto(it, n, 0);
          CopyValueInto(old, n, it->nbytes);
        }
        ReplaceLocked(hv, old_id, old, arena_->IdOf(n), n, false);
        stored = n;
        r = StoreResult::kStored;
        break;
      }
      case StoreOp::kReplace:
      case StoreOp::kSet:
        ReplaceLocked(hv, old_id, old, id, it, false);
        stored = it;
        r = StoreResult::kStored;
        break;
    }
  } else {
    switch (op) {
      case StoreOp::kAdd:
      case StoreOp::kSet:
        LinkLocked(hv, id, it, false);
        stored = it;
        r = StoreResult::kStored;
        break;
      case StoreOp::kCas:
        s.cas_misses.Add();
        r = StoreResult::kNotFound;
        break;
      case StoreOp::kReplace:
      case StoreOp::kAppend:
      case StoreOp::kPrepend:
        break;
    }
  }
  if (r == StoreResult::kStored && cas_out != nullptr) *cas_out = layout_.Cas(stored);
  if (stored != nullptr && stored != it) Release(stored);  // append/prepend's allocation ref
  return r;
}

DeleteResult CacheEngine::Delete(Session& s, std::string_view key, uint64_t cas, ItemRef* removed) {
  if (key.empty() || key.size() > kKeyMaxLength) {
    s.delete_misses.Add();
    return DeleteResult::kNotFound;
  }
  uint32_t hv = table_.Hash(key);
  std::lock_guard<std::mutex> g(table_.LockFor(hv));
  ItemId id;
  ItemHeader* it = FindLive(&s, hv, key, &id);
  if (it == nullptr) {
    s.delete_misses.Add();
    return DeleteResult::kNotFound;
  }
  if (cas != 0 && cas != layout_.Cas(it)) return DeleteResult::kExists;
  s.cls(arena_->ClassOfPtr(it)).delete_hits.Add();
  if (removed != nullptr) *removed = PinLocked(it);
  UnlinkLocked(hv, id, it);
  return DeleteResult::kDeleted;
}

void CacheEngine::Unlink(Session& s, std::string_view key) {
  if (key.empty() || key.size() > kKeyMaxLength) return;
  uint32_t hv = table_.Hash(key);
  std::lock_guard<std::mutex> g(table_.LockFor(hv));
  ItemId id;
  ItemHeader* it = FindLive(&s, hv, key, &id);
  if (it != nullptr) UnlinkLocked(hv, id, it);
}

DeltaReply CacheEngine::Delta(Session& s, const DeltaRequest& req) {
  DeltaReply reply;
  if (req.key.empty() || req.key.size() > kKeyMaxLength) {
    (req.incr ? s.incr_misses : s.decr_misses).Add();
    return reply;
  }
  uint32_t hv = table_.Hash(req.key);
  int li = static_cast<int>(table_.LockIndex(hv));
  std::lock_guard<std::mutex> g(table_.LockAt(li));
  ItemId id;
  ItemHeader* it = FindLive(&s, hv, req.key, &id);
  if (it == nullptr) {
    (req.incr ? s.incr_misses : s.decr_misses).Add();
    reply.result = DeltaResult::kNotFound;
    return reply;
  }
  return DeltaLocked(s, req, li, hv, id, it, nullptr);
}

DeltaReply CacheEngine::DeltaLocked(Session& s, const DeltaRequest& req, int li, uint32_t hv,
                                    ItemId id, ItemHeader* it, ItemHeader** result) {
  DeltaReply reply;
  if (it->nbytes == 0 || it->Has(item_flag::kChunked)) {
    reply.result = DeltaResult::kNonNumeric;
    return reply;
  }
  if (req.cas != 0 && req.cas != layout_.Cas(it)) {
    reply.result = DeltaResult::kExists;
    return reply;
  }
  uint64_t value;
  if (!ParseCounter(layout_.Value(it), it->nbytes, &value)) {
    reply.result = DeltaResult::kNonNumeric;
    return reply;
  }
  if (req.incr) {
    value += req.delta;
  } else {
    value = req.delta > value ? 0 : value - req.delta;
  }
  ClassCounters& cc = s.cls(arena_->ClassOfPtr(it));
  (req.incr ? cc.incr_hits : cc.decr_hits).Add();
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  (void)ec;
  uint32_t res = static_cast<uint32_t>(end - buf);
  // Only the link holds a reference and we hold the stripe lock, so nobody can be reading it.
  if (res <= it->nbytes && RefCount(it, std::memory_order_acquire) == 1) {
    layout_.SetCas(it, settings_.use_cas ? NextCas() : 0);
    char* v = layout_.Value(it);
    std::memcpy(v, buf, res);
    std::memset(v + res, ' ', it->nbytes - res);
    RelTime now = clock_->Now();
    if (now >= it->atime.load(std::memory_order_relaxed) + kUpdateInterval) {
      it->atime.store(now, std::memory_order_relaxed);
    }
    reply.cas = layout_.Cas(it);
    if (result != nullptr) *result = it;
  } else {
    AllocResult ar;
    ItemHeader* n = AllocItem(req.key, layout_.ClientFlags(it), layout_.Exptime(it), res, li, &ar);
    if (n == nullptr) {
      reply.result = DeltaResult::kNoMemory;
      return reply;
    }
    std::memcpy(layout_.Value(n), buf, res);
    ReplaceLocked(hv, id, it, arena_->IdOf(n), n, false);
    reply.cas = layout_.Cas(n);
    Release(n);
    if (result != nullptr) *result = n;
  }
  reply.result = DeltaResult::kOk;
  reply.value = value;
  return reply;
}

void CacheEngine::FlushAll(RelTime when) {
  RelTime now = clock_->Now();
  if (when == 0 || when < now) when = now;
  if (settings_.use_cas) {
    RelTime ol = when - 1;
    if (ol <= now) oldest_cas_.store(NextCas(), std::memory_order_release);
    oldest_live_.store(ol, std::memory_order_release);
  } else {
    oldest_live_.store(when, std::memory_order_release);
  }
  crawl_wanted_.store(true, std::memory_order_relaxed);
}

bool CacheEngine::SetMemoryLimit(uint64_t bytes) {
  if (bytes / Arena::kPageSize > arena_->max_pages()) return false;
  if (!slabs_.SetLimit(bytes)) {
    // Over the new limit: the page mover gives pages back (cache_engine_mover.cc).
    shrinking_ = true;
    std::lock_guard<std::mutex> g(thread_mu_);
    thread_cv_.notify_all();
  }
  return true;
}

}  // namespace memfleet::storage
