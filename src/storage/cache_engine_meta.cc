// CacheEngine's meta-protocol commands (mg/ms/md/ma/me): the parts that decide win (W), stale
// (X) and token-sent (Z) under the item's stripe lock. The per-item bits live in the top of
// the refcount (item.h, item_ref) so the item header stays 24 bytes.
#include <charconv>
#include <cstring>

#include "storage/cache_engine.h"

namespace memfleet::storage {
namespace {

constexpr uint16_t kMaxPins = 8000;  // as cache_engine_ops.cc

uint16_t MetaBits(const ItemHeader* it) {
  return it->refcount.load(std::memory_order_relaxed) & item_ref::kMetaBits;
}

}  // namespace

ItemHeader* CacheEngine::CopyLinkedLocked(int li, uint32_t hv, ItemId id, ItemHeader* it,
                                          RelTime exptime, bool bump_cas) {
  AllocResult r;
  ItemHeader* n =
      AllocItem(layout_.KeyView(it), layout_.ClientFlags(it), exptime, it->nbytes, li, &r);
  if (n == nullptr) return nullptr;
  CopyValueInto(it, n, 0);
  layout_.SetCas(n, layout_.Cas(it));
  n->flags.fetch_or(it->Flags() & (item_flag::kFetched | item_flag::kActive));
  n->refcount.fetch_or(MetaBits(it), std::memory_order_relaxed);
  ReplaceLocked(hv, id, it, arena_->IdOf(n), n, /*keep_cas=*/!bump_cas);
  // The same item moved to another chunk: not a new item for total_items.
  total_items_.fetch_sub(1, std::memory_order_relaxed);
  Release(n);  // the allocation reference; the link holds it now
  return n;
}

ItemHeader* CacheEngine::SetExptimeLocked(int li, uint32_t hv, ItemId* id, ItemHeader* it,
                                          RelTime exptime) {
  if (it->Has(item_flag::kHasExptime)) {
    layout_.SetExptime(it, exptime);
    return it;
  }
  if (exptime == 0) return it;
  ItemHeader* n = CopyLinkedLocked(li, hv, *id, it, exptime, /*bump_cas=*/false);
  if (n != nullptr) *id = arena_->IdOf(n);
  return n;
}

ItemHeader* CacheEngine::StoreStaleLocked(int li, uint32_t hv, ItemId old_id, ItemHeader* old,
                                          ItemHeader* new_it) {
  RelTime exptime = layout_.Exptime(old);
  uint16_t bits = item_ref::kStale | (MetaBits(old) & item_ref::kTokenSent);
  ItemHeader* target = new_it;
  if (new_it->Has(item_flag::kHasExptime)) {
    layout_.SetExptime(new_it, exptime);
  } else if (exptime != 0) {
    AllocResult r;
    target = AllocItem(layout_.KeyView(new_it), layout_.ClientFlags(new_it), exptime,
                       new_it->nbytes, li, &r);
    if (target == nullptr) return nullptr;
    CopyValueInto(new_it, target, 0);
    target->refcount.fetch_or(MetaBits(new_it), std::memory_order_relaxed);
  }
  target->refcount.fetch_or(bits, std::memory_order_relaxed);
  ReplaceLocked(hv, old_id, old, arena_->IdOf(target), target, /*keep_cas=*/false);
  return target;
}

MetaGetReply CacheEngine::MetaGet(Session& s, const MetaGetRequest& req) {
  MetaGetReply rep;
  if (req.key.empty() || req.key.size() > kKeyMaxLength) {
    if (!req.peek) s.get_misses.Add();
    return rep;
  }
  uint32_t hv = table_.Hash(req.key);
  int li = static_cast<int>(table_.LockIndex(hv));
  std::lock_guard<std::mutex> g(table_.LockAt(li));
  ItemId id;
  ItemHeader* it = FindLive(&s, hv, req.key, &id);
  if (it != nullptr && RefCount(it) >= kMaxPins) it = nullptr;
  RelTime now = clock_->Now();
  if (it == nullptr && req.vivify && !req.peek) {
    AllocResult r;
    ItemHeader* n = AllocItem(req.key, 0, req.vivify_exptime, 0, li, &r);
    if (n != nullptr) {
      if (req.key_binary) n->refcount.fetch_or(item_ref::kKeyBinary, std::memory_order_relaxed);
      id = arena_->IdOf(n);
      LinkLocked(hv, id, n, false);
      // The one W for this miss: everyone else sees Z until the item is replaced.
      n->refcount.fetch_or(item_ref::kTokenSent, std::memory_order_relaxed);
      rep.created = true;
      rep.win = true;
      rep.item = ItemRef(this, n);  // keeps the allocation reference as the caller's pin
      rep.slab_class = arena_->ClassOfPtr(n);
      rep.total_size = layout_.TotalSize(n);
      rep.key_binary = req.key_binary;
      rep.last_access = now;
      CountHit(s, n);
      return rep;
    }
  }
  if (it == nullptr) {
    if (!req.peek) s.get_misses.Add();
    return rep;
  }
  rep.fetched = it->Has(item_flag::kFetched);
  rep.last_access = it->atime.load(std::memory_order_relaxed);
  rep.old_exptime = layout_.Exptime(it);
  if (req.touch && !req.peek) {
    ItemHeader* t = SetExptimeLocked(li, hv, &id, it, req.exptime);
    if (t == nullptr) {
      s.get_misses.Add();
      return rep;
    }
    it = t;
  }
  uint16_t bits = MetaBits(it);
  rep.token_sent = (bits & item_ref::kTokenSent) != 0;
  rep.stale = (bits & item_ref::kStale) != 0;
  rep.key_binary = (bits & item_ref::kKeyBinary) != 0;
  if (!req.peek) {
    bool win = false;
    if (req.recache && !rep.token_sent) {
      RelTime e = req.recache_sees_touch ? layout_.Exptime(it) : rep.old_exptime;
      if (e != 0 && e < req.recache_time) win = true;
    }
    if (rep.stale && !rep.token_sent) win = true;
    if (win) {
      it->refcount.fetch_or(item_ref::kTokenSent, std::memory_order_relaxed);
      rep.win = true;
    }
  }
  it->refcount.fetch_add(1, std::memory_order_relaxed);
  if (req.bump && !req.peek) Bump(s, id, it, now);
  if (!req.peek) {
    if (req.touch) {
      s.cls(arena_->ClassOfPtr(it)).touch_hits.Add();
    } else {
      CountHit(s, it);
    }
  }
  rep.slab_class = arena_->ClassOfPtr(it);
  rep.total_size = layout_.TotalSize(it);
  rep.item = ItemRef(this, it);
  return rep;
}

StoreResult CacheEngine::MetaStore(Session& s, StoreOp op, ItemRef& item, uint64_t cas,
                                   const MetaStoreOptions& opt, uint64_t* cas_out) {
  auto* it = static_cast<ItemHeader*>(item.raw());
  if (it != nullptr && opt.key_binary && !it->Has(item_flag::kLinked)) {
    it->refcount.fetch_or(item_ref::kKeyBinary, std::memory_order_relaxed);
  }
  return StoreImpl(s, op, item, cas, opt.set_stale && op == StoreOp::kCas, cas_out);
}

DeleteResult CacheEngine::MetaDelete(Session& s, const MetaDeleteRequest& req) {
  if (req.key.empty() || req.key.size() > kKeyMaxLength) {
    s.delete_misses.Add();
    return DeleteResult::kNotFound;
  }
  uint32_t hv = table_.Hash(req.key);
  int li = static_cast<int>(table_.LockIndex(hv));
  std::lock_guard<std::mutex> g(table_.LockAt(li));
  ItemId id;
  ItemHeader* it = FindLive(&s, hv, req.key, &id);
  if (it == nullptr) {
    s.delete_misses.Add();
    return DeleteResult::kNotFound;
  }
  if (req.has_cas && req.cas != layout_.Cas(it)) {
    s.delete_misses.Add();
    return DeleteResult::kExists;
  }
  if (!req.invalidate) {
    s.cls(arena_->ClassOfPtr(it)).delete_hits.Add();
    if (req.removed != nullptr) *req.removed = PinLocked(it);
    UnlinkLocked(hv, id, it);
    return DeleteResult::kDeleted;
  }
  // Mark stale: keep the item, give it a new cas, and let the next reader win.
  if (req.touch) {
    it = SetExptimeLocked(li, hv, &id, it, req.exptime);
    if (it == nullptr) return DeleteResult::kNotFound;
  }
  it->refcount.fetch_or(item_ref::kStale, std::memory_order_relaxed);
  it->refcount.fetch_and(static_cast<uint16_t>(~item_ref::kTokenSent), std::memory_order_relaxed);
  if (RefCount(it, std::memory_order_acquire) == 1) {
    layout_.SetCas(it, settings_.use_cas ? NextCas() : 0);
  } else if (CopyLinkedLocked(li, hv, id, it, layout_.Exptime(it), /*bump_cas=*/true) == nullptr) {
    // Readers hold pins on it, so its cas cannot change in place; without memory for a copy
    // it stays marked stale with its old cas.
  }
  if (req.removed != nullptr) {
    ItemId cur;
    if (ItemHeader* now = table_.Find(hv, req.key, &cur)) *req.removed = PinLocked(now);
  }
  return DeleteResult::kDeleted;
}

MetaDeltaReply CacheEngine::MetaDelta(Session& s, const MetaDeltaRequest& req) {
  MetaDeltaReply rep;
  if (req.key.empty() || req.key.size() > kKeyMaxLength) {
    (req.incr ? s.incr_misses : s.decr_misses).Add();
    return rep;
  }
  uint32_t hv = table_.Hash(req.key);
  int li = static_cast<int>(table_.LockIndex(hv));
  std::lock_guard<std::mutex> g(table_.LockAt(li));
  ItemId id;
  ItemHeader* it = FindLive(&s, hv, req.key, &id);
  if (it == nullptr) {
    if (!req.vivify) {
      (req.incr ? s.incr_misses : s.decr_misses).Add();
      return rep;
    }
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), req.initial);
    (void)ec;
    auto len = static_cast<uint32_t>(end - buf);
    AllocResult r;
    ItemHeader* n = AllocItem(req.key, 0, req.vivify_exptime, len, li, &r);
    if (n == nullptr) {
      rep.result = DeltaResult::kNoMemory;
      return rep;
    }
    std::memcpy(layout_.Value(n), buf, len);
    if (req.key_binary) n->refcount.fetch_or(item_ref::kKeyBinary, std::memory_order_relaxed);
    LinkLocked(hv, arena_->IdOf(n), n, false);
    rep.result = DeltaResult::kOk;
    rep.value = req.initial;
    rep.cas = layout_.Cas(n);
    rep.created = true;
    Release(n);
    return rep;
  }
  rep.old_exptime = layout_.Exptime(it);
  DeltaRequest dr;
  dr.key = req.key;
  dr.incr = req.incr;
  dr.delta = req.delta;
  dr.cas = req.cas;
  ItemHeader* res = nullptr;
  DeltaReply d = DeltaLocked(s, dr, li, hv, id, it, &res);
  rep.result = d.result;
  rep.value = d.value;
  rep.cas = d.cas;
  if (d.result == DeltaResult::kOk && req.touch && res != nullptr) {
    ItemId rid = arena_->IdOf(res);
    SetExptimeLocked(li, hv, &rid, res, req.exptime);
  }
  return rep;
}

}  // namespace memfleet::storage
