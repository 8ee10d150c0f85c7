// CacheEngine LRU crawler control: `lru_crawler enable|disable|sleep|tocrawl|crawl` and the
// stepwise walk behind `lru_crawler metadump|mgdump`. The crawler thread itself is in
// cache_engine_threads.cc; a crawl or a dump step walks the hash table one bucket (one stripe
// lock) at a time, so it never holds up a worker for more than one bucket's items.
#include <algorithm>
#include <charconv>
#include <string>

#include "storage/cache_engine.h"

namespace memfleet::storage {

bool CacheEngine::ParseClassList(std::string_view arg, std::vector<uint8_t>* mask) const {
  mask->assign(static_cast<size_t>(num_classes_ + 1), 0);
  if (arg == "all") {
    std::fill(mask->begin() + 1, mask->end(), 1);
    return true;
  }
  // memcached: comma-separated ids, each 1..largest (strtok_r + safe_strtoul).
  size_t start = 0;
  while (start <= arg.size()) {
    size_t end = arg.find(',', start);
    if (end == std::string_view::npos) end = arg.size();
    std::string_view tok = arg.substr(start, end - start);
    unsigned v = 0;
    auto [p, ec] = std::from_chars(tok.data(), tok.data() + tok.size(), v);
    if (tok.empty() || ec != std::errc() || p != tok.data() + tok.size() || v < 1 ||
        v > static_cast<unsigned>(num_classes_)) {
      return false;
    }
    (*mask)[v] = 1;
    start = end + 1;
  }
  return true;
}

bool CacheEngine::SetCrawlerEnabled(bool on) {
  if (on) {
    // memcached answers an enable of a running crawler with an error.
    if (crawler_enabled_.exchange(true)) return false;
    return true;
  }
  crawler_enabled_ = false;
  return true;
}

void CacheEngine::SetCrawlerSleep(uint32_t micros) { crawler_sleep_ = micros; }
void CacheEngine::SetCrawlerToCrawl(uint32_t items) { crawler_tocrawl_ = items; }

void CacheEngine::CurrentCrawlerSettings(Settings* s) const {
  s->lru_crawler = crawler_enabled_.load();
  s->lru_crawler_sleep = static_cast<int>(crawler_sleep_.load());
  s->lru_crawler_tocrawl = crawler_tocrawl_.load();
}

CrawlResult CacheEngine::Crawl(std::string_view classes) {
  if (!crawler_enabled_.load()) return CrawlResult::kDisabled;
  std::vector<uint8_t> mask;
  if (!ParseClassList(classes, &mask)) return CrawlResult::kBadClass;
  if (crawler_running_.load() || crawl_wanted_.load()) return CrawlResult::kRunning;
  {
    std::lock_guard<std::mutex> g(crawl_mask_mu_);
    crawl_mask_ = std::move(mask);
  }
  // As memcached, `stats` shows the crawl running from the moment it is accepted (a client
  // that polls lru_crawler_running right after OK must not see it finished before it began).
  crawler_running_ = true;
  crawl_wanted_ = true;
  std::lock_guard<std::mutex> g(thread_mu_);
  thread_cv_.notify_all();
  return CrawlResult::kOk;
}

CrawlResult CacheEngine::StartDump(std::string_view classes, DumpCursor* cursor) {
  if (!crawler_enabled_.load()) return CrawlResult::kDisabled;
  // `hash` walks the hash table in memcached; here every dump does, so it means `all`.
  if (!ParseClassList(classes == "hash" ? "all" : classes, &cursor->classes)) {
    return CrawlResult::kBadClass;
  }
  cursor->slices = table_.bucket_count();
  cursor->next = 0;
  return CrawlResult::kOk;
}

bool CacheEngine::DumpStep(DumpCursor* cursor, uint64_t max_slices,
                           const std::function<void(const ItemInfo&)>& fn) {
  const RelTime now = clock_->Now();
  const uint64_t end = std::min(cursor->slices, cursor->next + max_slices);
  for (; cursor->next < end; cursor->next++) {
    VisitSlice(cursor->next, cursor->slices, [&](ItemId, ItemHeader* it, uint32_t) {
      if (!cursor->classes[LruClassOf(it)] || IsExpired(it, now) || IsFlushed(it, now)) return;
      ItemInfo info;
      info.key = layout_.KeyView(it);
      info.exptime = layout_.Exptime(it);
      info.last_access = it->atime.load(std::memory_order_relaxed);
      info.cas = layout_.Cas(it);
      info.fetched = it->Has(item_flag::kFetched);
      info.key_binary = (it->refcount.load(std::memory_order_relaxed) & item_ref::kKeyBinary) != 0;
      info.slab_class = arena_->ClassOfPtr(it);
      info.size = layout_.TotalSize(it);
      info.value_length = it->nbytes;
      fn(info);
    });
  }
  return cursor->next >= cursor->slices;
}

// Why the walk is exact: slice p's items sit in buckets q = p (mod slices) of the current table,
// or, while the table doubles, in the old bucket they have not yet left (see hash_table.h).
// Buckets are visited in increasing q, so a bucket migrates at most once between two visits: if
// it was read before migrating, some of its items show up again in q + old size (skipped by id);
// if after, they are in q or q + old size, both still ahead. A table that grew during the walk
// adds buckets, which the loop then visits too.
void CacheEngine::VisitSlice(uint64_t p, uint64_t slices,
                             const std::function<void(ItemId, ItemHeader*, uint32_t)>& fn) {
  std::vector<ItemId> seen;
  uint64_t size = table_.bucket_count();
  uint64_t q = p;
  for (;;) {
    for (; q < size; q += slices) {
      table_.VisitBucket(q, [&](ItemId id, ItemHeader* it, uint32_t hv) {
        if (std::find(seen.begin(), seen.end(), id) != seen.end()) return;
        seen.push_back(id);
        fn(id, it, hv);
      });
    }
    const uint64_t now = table_.bucket_count();
    if (now == size) return;
    size = now;
  }
}

std::optional<CacheEngine::CrawlBudget> CacheEngine::MakeCrawlBudget(
    const std::vector<uint8_t>* classes, uint32_t tocrawl) const {
  if (tocrawl == 0) return std::nullopt;
  CrawlBudget b;
  b.per_class = tocrawl;
  b.checked.assign(static_cast<size_t>(num_classes_ + 1), 0);
  for (int c = 1; c <= num_classes_; c++) {
    if (classes == nullptr || (*classes)[static_cast<size_t>(c)]) b.classes_left++;
  }
  return b;
}

}  // namespace memfleet::storage
