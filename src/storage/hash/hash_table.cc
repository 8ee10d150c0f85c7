#include "storage/hash/hash_table.h"

#include <algorithm>
#include <cstring>

namespace memfleet::storage {
namespace {

constexpr int kMaxHashPower = 31;

uint64_t ThresholdFor(int power) { return (uint64_t{1} << power) * 3 / 2; }

}  // namespace

HashTable::HashTable(const Arena* arena, const ItemLayout* layout, HashFn hash, int hashpower,
                     int lock_power)
    : arena_(arena), layout_(layout), hash_(hash) {
  hashpower = std::clamp(hashpower, 1, kMaxHashPower);
  lock_power = std::clamp(lock_power, 0, hashpower);
  lock_mask_ = (uint32_t{1} << lock_power) - 1;
  locks_ = std::make_unique<std::mutex[]>(lock_mask_ + 1);
  arrays_.push_back(std::make_unique<uint32_t[]>(size_t{1} << hashpower));
  auto st = std::make_unique<TableState>();
  st->primary = arrays_[0].get();
  st->primary_mask = static_cast<uint32_t>((uint64_t{1} << hashpower) - 1);
  st->primary_power = hashpower;
  state_.store(st.get(), std::memory_order_release);
  states_.push_back(std::move(st));
  expand_threshold_.store(ThresholdFor(hashpower), std::memory_order_relaxed);
}

int HashTable::hashpower() const { return state_.load(std::memory_order_acquire)->primary_power; }

bool HashTable::expanding() const { return state_.load(std::memory_order_acquire)->old != nullptr; }

bool HashTable::NeedsExpansion() const {
  const TableState* s = state_.load(std::memory_order_acquire);
  return s->old == nullptr && s->primary_power < kMaxHashPower &&
         items_.load(std::memory_order_relaxed) > expand_threshold_.load(std::memory_order_relaxed);
}

uint32_t* HashTable::BucketFor(uint32_t hv) const {
  for (;;) {
    const TableState* s = state_.load(std::memory_order_acquire);
    if (s->old == nullptr) return &s->primary[hv & s->primary_mask];
    const uint32_t moved = expand_bucket_.load(std::memory_order_acquire);
    // expand_bucket_ is shared by every expansion. A thread stalled between the two loads could
    // pair the state of a finished expansion (whose old array is freed) with the progress of the
    // next one and return a bucket of freed memory (a use-after-free ThreadSanitizer caught in
    // HashTableTest.ConcurrentExpansionWithReadersAndWriters). States are never reused, so an
    // unchanged state_ means `moved` belongs to this expansion. Once it does, the old bucket
    // cannot be freed under us: moving it needs the stripe lock our caller holds.
    if (state_.load(std::memory_order_acquire) != s) continue;
    const uint32_t ob = hv & s->old_mask;
    if (ob >= moved) return &s->old[ob];
    return &s->primary[hv & s->primary_mask];
  }
}

ItemHeader* HashTable::Find(uint32_t hv, std::string_view key, ItemId* id_out) const {
  ItemId id = *BucketFor(hv);
  while (id != kNoItem) {
    ItemHeader* it = arena_->Item(id);
    if (it->nkey == key.size() && std::memcmp(layout_->Key(it), key.data(), key.size()) == 0) {
      if (id_out != nullptr) *id_out = id;
      return it;
    }
    id = it->h_next;
  }
  return nullptr;
}

void HashTable::PrefetchChain(uint32_t hv) {
  std::mutex& m = locks_[hv & lock_mask_];
  if (!m.try_lock()) return;
  const ItemId id = *BucketFor(hv);
  m.unlock();
  if (id == kNoItem) return;
  // The arena is never unmapped, so a stale id only prefetches a line that is not needed.
  const char* p = reinterpret_cast<const char*>(arena_->Item(id));
  // Header and key, then the value of a small item (items are not line-aligned).
  for (int line = 0; line < 4; line++) __builtin_prefetch(p + line * 64);
}

void HashTable::Insert(uint32_t hv, ItemId id) {
  uint32_t* b = BucketFor(hv);
  arena_->Item(id)->h_next = *b;
  *b = id;
  items_.fetch_add(1, std::memory_order_relaxed);
}

bool HashTable::Remove(uint32_t hv, ItemId id) {
  uint32_t* link = BucketFor(hv);
  while (*link != kNoItem) {
    ItemHeader* it = arena_->Item(*link);
    if (*link == id) {
      *link = it->h_next;
      it->h_next = kNoItem;
      items_.fetch_sub(1, std::memory_order_relaxed);
      return true;
    }
    link = &it->h_next;
  }
  return false;
}

bool HashTable::StartExpansion() {
  const TableState* cur = state_.load(std::memory_order_acquire);
  if (cur->old != nullptr || cur->primary_power >= kMaxHashPower) return false;
  int power = cur->primary_power + 1;
  arrays_.push_back(std::make_unique<uint32_t[]>(size_t{1} << power));
  std::swap(arrays_[0], arrays_[1]);  // [0] = new primary, [1] = old
  auto st = std::make_unique<TableState>();
  st->primary = arrays_[0].get();
  st->primary_mask = static_cast<uint32_t>((uint64_t{1} << power) - 1);
  st->primary_power = power;
  st->old = cur->primary;
  st->old_mask = cur->primary_mask;
  expand_bucket_.store(0, std::memory_order_release);
  state_.store(st.get(), std::memory_order_release);
  states_.push_back(std::move(st));
  return true;
}

bool HashTable::ExpandStep(uint32_t max_buckets) {
  const TableState* s = state_.load(std::memory_order_acquire);
  if (s->old == nullptr) return true;
  const uint64_t old_size = uint64_t{s->old_mask} + 1;
  for (uint32_t n = 0; n < max_buckets; n++) {
    uint32_t b = expand_bucket_.load(std::memory_order_relaxed);
    if (b >= old_size) break;
    std::lock_guard<std::mutex> g(locks_[b & lock_mask_]);
    ItemId id = s->old[b];
    while (id != kNoItem) {
      ItemHeader* it = arena_->Item(id);
      ItemId next = it->h_next;
      uint32_t hv = Hash(layout_->KeyView(it));
      uint32_t* nb = &s->primary[hv & s->primary_mask];
      it->h_next = *nb;
      *nb = id;
      id = next;
    }
    s->old[b] = kNoItem;
    expand_bucket_.store(b + 1, std::memory_order_release);
  }
  if (expand_bucket_.load(std::memory_order_relaxed) < old_size) return false;
  // Every bucket has moved: no reader can be using the old array any more.
  auto st = std::make_unique<TableState>();
  st->primary = s->primary;
  st->primary_mask = s->primary_mask;
  st->primary_power = s->primary_power;
  state_.store(st.get(), std::memory_order_release);
  states_.push_back(std::move(st));
  expand_threshold_.store(ThresholdFor(s->primary_power), std::memory_order_relaxed);
  arrays_[1].reset();
  arrays_.pop_back();
  return true;
}

}  // namespace memfleet::storage
