// CacheEngine LRU crawler control: `lru_crawler enable|disable|sleep|tocrawl|crawl` and
// `lru_crawler metadump`. The crawler thread itself is in cache_engine_threads.cc; a crawl walks
// the hash table one bucket (one stripe lock) at a time, so it never holds up a worker for more
// than one bucket's items.
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

CrawlResult CacheEngine::Crawl(std::string_view classes) {
  if (!crawler_enabled_.load()) return CrawlResult::kDisabled;
  std::vector<uint8_t> mask;
  if (!ParseClassList(classes, &mask)) return CrawlResult::kBadClass;
  if (crawler_running_.load() || crawl_wanted_.load()) return CrawlResult::kRunning;
  {
    std::lock_guard<std::mutex> g(crawl_mask_mu_);
    crawl_mask_ = std::move(mask);
  }
  crawl_wanted_ = true;
  std::lock_guard<std::mutex> g(thread_mu_);
  thread_cv_.notify_all();
  return CrawlResult::kOk;
}

CrawlResult CacheEngine::Metadump(std::string_view classes,
                                  const std::function<void(const ItemInfo&)>& fn) {
  if (!crawler_enabled_.load()) return CrawlResult::kDisabled;
  std::vector<uint8_t> mask;
  if (classes == "hash") {
    ParseClassList("all", &mask);
  } else if (!ParseClassList(classes, &mask)) {
    return CrawlResult::kBadClass;
  }
  const RelTime now = clock_->Now();
  const uint64_t n = table_.bucket_count();
  for (uint64_t pos = 0; pos < n; pos++) {
    table_.VisitBucket(pos, [&](ItemId, ItemHeader* it, uint32_t) {
      const int lc = LruClassOf(it);
      if (!mask[lc] || IsExpired(it, now) || IsFlushed(it, now)) return;
      ItemInfo info;
      info.key = layout_.KeyView(it);
      info.exptime = layout_.Exptime(it);
      info.last_access = it->atime.load(std::memory_order_relaxed);
      info.cas = layout_.Cas(it);
      info.fetched = it->Has(item_flag::kFetched);
      info.slab_class = arena_->ClassOfPtr(it);
      info.size = layout_.TotalSize(it);
      fn(info);
    });
  }
  return CrawlResult::kOk;
}

}  // namespace memfleet::storage
