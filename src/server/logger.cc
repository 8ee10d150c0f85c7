#include "server/logger.h"

#include <sys/time.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "protocol/text/vocabulary.h"

namespace memfleet::server {

char* UriEncode(std::string_view key, char* out) {
  static const char kHex[] = "0123456789ABCDEF";
  for (unsigned char ch : key) {
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
        ch == '-' || ch == '.' || ch == '_' || ch == '~') {
      *out++ = static_cast<char>(ch);
    } else {
      *out++ = '%';
      *out++ = kHex[ch >> 4];
      *out++ = kHex[ch & 15];
    }
  }
  return out;
}

void AppendUriEncoded(std::string& out, std::string_view key) {
  const size_t at = out.size();
  out.resize(at + 3 * key.size());
  char* end = UriEncode(key, out.data() + at);
  out.resize(static_cast<size_t>(end - out.data()));
}

std::shared_ptr<Logger::Watcher> Logger::Add(uint32_t mask,
                                             std::function<void(std::function<void()>)> post,
                                             std::function<void(std::string&&)> deliver) {
  auto w = std::make_shared<Watcher>();
  w->mask = mask;
  w->capacity = capacity_;
  w->post = std::move(post);
  w->deliver = std::move(deliver);
  std::lock_guard<std::mutex> g(mu_);
  watchers_.push_back(w);
  mask_.fetch_or(mask, std::memory_order_relaxed);
  return w;
}

void Logger::Remove(const std::shared_ptr<Watcher>& w) {
  w->alive = false;
  std::lock_guard<std::mutex> g(mu_);
  watchers_.erase(std::remove(watchers_.begin(), watchers_.end(), w), watchers_.end());
  uint32_t m = 0;
  for (const auto& x : watchers_) m |= x->mask;
  mask_.store(m, std::memory_order_relaxed);
}

uint64_t Logger::watchers() const {
  std::lock_guard<std::mutex> g(mu_);
  return watchers_.size();
}

void Logger::Log(uint32_t type, std::string_view body) {
  timeval tv;
  gettimeofday(&tv, nullptr);
  // "ts=<sec>.<usec> gid=<n> ": memcached prints the microseconds without leading zeros.
  std::string head(protocol::text::kWatchTimestamp);
  head.append(std::to_string(static_cast<long>(tv.tv_sec)));
  head.push_back('.');
  head.append(std::to_string(static_cast<long>(tv.tv_usec)));
  head.append(protocol::text::kWatchGid);
  head.append(std::to_string(static_cast<unsigned long long>(gid_.fetch_add(1) + 1)));
  head.push_back(' ');
  std::vector<std::shared_ptr<Watcher>> targets;
  {
    std::lock_guard<std::mutex> g(mu_);
    for (const auto& w : watchers_) {
      if (w->mask & type) targets.push_back(w);
    }
  }
  if (targets.empty()) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  written_.fetch_add(1, std::memory_order_relaxed);
  const size_t len = head.size() + body.size() + 1;
  for (const auto& w : targets) {
    bool post = false;
    {
      std::lock_guard<std::mutex> g(w->mu);
      std::string skip_line;
      if (w->skipped > 0) {
        skip_line.append(protocol::text::kWatchSkipped);
        skip_line.append(std::to_string(w->skipped));
        skip_line.push_back('\n');
      }
      if (w->pending.size() + skip_line.size() + len > w->capacity) {
        w->skipped++;
        skipped_.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      w->pending.append(skip_line);
      w->skipped = 0;
      w->pending.append(head);
      w->pending.append(body);
      w->pending.push_back('\n');
      if (!w->flush_posted) post = w->flush_posted = true;
    }
    if (post) w->post([this, w] { Flush(w); });
  }
}

void Logger::CountSkipped(Watcher& w, uint64_t lines) {
  skipped_.fetch_add(lines, std::memory_order_relaxed);
  std::lock_guard<std::mutex> g(w.mu);
  w.skipped += lines;
}

void Logger::Flush(const std::shared_ptr<Watcher>& w) {
  std::string out;
  {
    std::lock_guard<std::mutex> g(w->mu);
    out.swap(w->pending);
    w->flush_posted = false;
  }
  if (!w->alive || out.empty()) return;
  sent_.fetch_add(static_cast<uint64_t>(std::count(out.begin(), out.end(), '\n')),
                  std::memory_order_relaxed);
  w->deliver(std::move(out));
}

}  // namespace memfleet::server
