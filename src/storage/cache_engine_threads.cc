// CacheEngine background threads: LRU maintainer, LRU crawler, hash table expander (the page
// mover's loop is in cache_engine_mover.cc).
//
// Each thread sleeps on thread_cv_ (so Stop() wakes it at once) and does its work in short
// steps that each take one stripe lock or one queue lock, never for an unbounded time.
#include <algorithm>
#include <chrono>
#include <vector>

#include "storage/cache_engine.h"

namespace memfleet::storage {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

constexpr auto kMaintainerMinSleep = milliseconds(1);
constexpr auto kMaintainerMaxSleep = milliseconds(1000);
constexpr RelTime kCrawlInterval = 60;  // seconds of clock time between full crawler passes
constexpr uint64_t kCrawlBatch = 256;   // buckets between crawler sleeps
constexpr uint32_t kExpandBatch = 64;   // buckets migrated between checks for Stop()

}  // namespace

void CacheEngine::Start() {
  std::lock_guard<std::mutex> g(thread_mu_);
  if (running_) return;
  running_ = true;
  stopping_ = false;
  if (settings_.lru_maintainer_thread) maintainer_ = std::thread([this] { MaintainerMain(); });
  crawler_ = std::thread([this] { CrawlerMain(); });
  if (settings_.slab_reassign) mover_ = std::thread([this] { MoverMain(); });
  if (settings_.hash_expand) expander_ = std::thread([this] { ExpanderMain(); });
}

void CacheEngine::Stop() {
  {
    std::lock_guard<std::mutex> g(thread_mu_);
    if (!running_) return;
    stopping_ = true;
  }
  thread_cv_.notify_all();
  for (std::thread* t : {&maintainer_, &crawler_, &expander_, &mover_}) {
    if (t->joinable()) t->join();
  }
  std::lock_guard<std::mutex> g(thread_mu_);
  running_ = false;
}

void CacheEngine::MaintainerMain() {
  auto sleep = kMaintainerMinSleep;
  std::unique_lock<std::mutex> l(thread_mu_);
  while (!stopping_) {
    l.unlock();
    int did = RunMaintainerOnce();
    l.lock();
    sleep = did > 0 ? kMaintainerMinSleep : std::min(sleep * 2, kMaintainerMaxSleep);
    thread_cv_.wait_for(l, sleep, [this] { return stopping_; });
  }
}

void CacheEngine::CrawlerMain() {
  std::unique_lock<std::mutex> l(thread_mu_);
  RelTime last_pass = clock_->Now();
  while (!stopping_) {
    thread_cv_.wait_for(l, milliseconds(1000), [this] {
      return stopping_ || crawl_wanted_.load(std::memory_order_relaxed);
    });
    if (stopping_) break;
    const RelTime now = clock_->Now();
    if (!crawler_enabled_.load(std::memory_order_relaxed)) {
      crawl_wanted_ = false;
      crawler_running_.store(false, std::memory_order_relaxed);
      continue;
    }
    const bool requested = crawl_wanted_.exchange(false);
    if (!requested && now < last_pass + kCrawlInterval) continue;
    last_pass = now;
    std::vector<uint8_t> mask;
    {
      std::lock_guard<std::mutex> g(crawl_mask_mu_);
      mask.swap(crawl_mask_);
    }
    const std::vector<uint8_t>* classes = mask.empty() ? nullptr : &mask;
    // `lru_crawler tocrawl` bounds a requested crawl only (memcached's autocrawl is unbounded).
    std::optional<CrawlBudget> budget =
        MakeCrawlBudget(classes, requested ? crawler_tocrawl_.load() : 0);
    CrawlBudget* b = budget ? &*budget : nullptr;
    crawler_running_.store(true, std::memory_order_relaxed);
    crawler_starts_.fetch_add(1, std::memory_order_relaxed);
    const uint64_t n = table_.bucket_count();
    uint64_t reclaimed = 0;
    for (uint64_t pos = 0; pos < n && !stopping_ && (b == nullptr || b->classes_left > 0);) {
      l.unlock();
      const uint64_t end = std::min(n, pos + kCrawlBatch);
      for (; pos < end; pos++) CrawlBucket(pos, &reclaimed, classes, b);
      l.lock();
      const uint32_t sleep_us = crawler_sleep_.load(std::memory_order_relaxed);
      if (sleep_us > 0) {
        thread_cv_.wait_for(l, microseconds(sleep_us), [this] { return stopping_; });
      }
    }
    crawler_running_.store(false, std::memory_order_relaxed);
  }
}

void CacheEngine::MaybeWakeExpander() {
  if (!settings_.hash_expand || !table_.NeedsExpansion()) return;
  if (expand_wanted_.exchange(true)) return;
  std::lock_guard<std::mutex> g(thread_mu_);
  thread_cv_.notify_all();
}

void CacheEngine::ExpanderMain() {
  std::unique_lock<std::mutex> l(thread_mu_);
  while (!stopping_) {
    thread_cv_.wait(l, [this] {
      return stopping_ || expand_wanted_.load(std::memory_order_relaxed) || table_.expanding();
    });
    if (stopping_) break;
    l.unlock();
    if (table_.expanding() || table_.StartExpansion()) {
      while (!table_.ExpandStep(kExpandBatch)) {
        std::this_thread::yield();
        l.lock();
        bool stop = stopping_;
        l.unlock();
        if (stop) break;
      }
    }
    expand_wanted_.store(false, std::memory_order_relaxed);
    // Items may have kept coming while we expanded.
    if (table_.NeedsExpansion()) expand_wanted_.store(true, std::memory_order_relaxed);
    l.lock();
  }
}

void CacheEngine::ExpandHashNow() {
  if (!table_.expanding() && !table_.StartExpansion()) return;
  while (!table_.ExpandStep(kExpandBatch)) {
  }
}

}  // namespace memfleet::storage
