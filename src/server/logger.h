// Logger: the `watch` log pipeline. Workers hand it log lines (fetches, mutations, evictions,
// connection open/close, deletions); every watcher connection has its own bounded buffer, and a
// line that does not fit is dropped and counted (log_watcher_skipped, and a "skipped=<n>" line
// before the watcher's next line) instead of queued: a slow
// watcher never slows a worker or grows memory. A worker's only cost while nobody watches is one
// relaxed atomic load. A buffer that becomes non-empty posts one flush task to the watcher's worker
// loop.
//
// Thread safety: Log*/stats from any thread; Add/Remove from the watcher's worker thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace memfleet::server {

namespace log_type {
inline constexpr uint32_t kFetchers = 1 << 0;
inline constexpr uint32_t kMutations = 1 << 1;
inline constexpr uint32_t kEvictions = 1 << 2;
inline constexpr uint32_t kConnEvents = 1 << 3;
inline constexpr uint32_t kDeletions = 1 << 4;
}  // namespace log_type

class Logger {
 public:
  // One watcher's bounded buffer. `flush` runs on the watcher's worker thread (posted there by
  // `post`), takes the pending bytes and writes them out; `alive` is cleared (on that thread)
  // when the connection goes away.
  struct Watcher {
    uint32_t mask = 0;
    size_t capacity = 0;
    std::mutex mu;
    std::string pending;        // guarded by mu
    uint64_t skipped = 0;       // lines lost since the last one delivered; guarded by mu
    bool flush_posted = false;  // guarded by mu
    std::function<void(std::function<void()>)> post;  // runs a task on the watcher's thread
    std::function<void(std::string&&)> deliver;       // watcher's thread only
    bool alive = true;                                // watcher's thread only
  };

  explicit Logger(size_t watcher_buffer_bytes) : capacity_(watcher_buffer_bytes) {}

  std::shared_ptr<Watcher> Add(uint32_t mask, std::function<void(std::function<void()>)> post,
                               std::function<void(std::string&&)> deliver);
  void Remove(const std::shared_ptr<Watcher>& w);

  bool Wants(uint32_t type) const { return (mask_.load(std::memory_order_relaxed) & type) != 0; }
  // Formats "ts=<s>.<us> gid=<n> " + body + "\n" and offers it to every watcher of `type`.
  void Log(uint32_t type, std::string_view body);

  // Lines watcher w had to drop because its client does not read. As in memcached, the
  // watcher's next line that fits is preceded by "skipped=<n>".
  void CountSkipped(Watcher& w, uint64_t lines);

  uint64_t worker_written() const { return written_.load(std::memory_order_relaxed); }
  uint64_t worker_dropped() const { return dropped_.load(std::memory_order_relaxed); }
  uint64_t watcher_skipped() const { return skipped_.load(std::memory_order_relaxed); }
  uint64_t watcher_sent() const { return sent_.load(std::memory_order_relaxed); }
  uint64_t watchers() const;

 private:
  void Flush(const std::shared_ptr<Watcher>& w);

  const size_t capacity_;
  std::atomic<uint32_t> mask_{0};
  std::atomic<uint64_t> gid_{0};
  std::atomic<uint64_t> written_{0}, dropped_{0}, skipped_{0}, sent_{0};
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<Watcher>> watchers_;  // guarded by mu_
};

// memcached's uriencode of a key for log lines (unreserved characters kept).
void AppendUriEncoded(std::string& out, std::string_view key);
// The same into a buffer with room for 3 * key.size() bytes; returns the end of what it wrote.
char* UriEncode(std::string_view key, char* out);

}  // namespace memfleet::server
