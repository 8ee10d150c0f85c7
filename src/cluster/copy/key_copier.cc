#include "cluster/copy/key_copier.h"

#include <ctime>

namespace memfleet::cluster {

bool ExptimeForTtl(int64_t ttl, int64_t unix_now, int64_t* exptime) {
  if (ttl < 0) {
    *exptime = 0;  // -1: never expires
    return ttl == -1;
  }
  if (ttl == 0) return false;  // ends now: a T0 would make it immortal
  *exptime = ttl > kMaxRelativeExptime ? unix_now + ttl : ttl;
  return true;
}

Status KeyCopier::FlushWriter(ItemWriter& writer) {
  AddOutcomes o;
  Status s = writer.Flush(&o);
  progress_.copied.fetch_add(o.added, std::memory_order_relaxed);
  progress_.existed.fetch_add(o.existed, std::memory_order_relaxed);
  progress_.refused.fetch_add(o.refused, std::memory_order_relaxed);
  return s;
}

Status KeyCopier::Run(KeyLister& lister, ItemReader& reader, ItemWriter& writer) {
  std::vector<std::string> names;
  std::vector<std::string> keep;
  bool done = false;
  while (!done) {
    if (stop_.load(std::memory_order_relaxed)) return Status::Internal("copy stopped");
    Status s = lister.Next(options_.batch_keys == 0 ? 1 : options_.batch_keys, &names, &done);
    if (!s.ok()) return s;
    progress_.listed.fetch_add(names.size(), std::memory_order_relaxed);
    keep.clear();
    for (std::string& k : names) {
      if (options_.filter && !options_.filter(k)) {
        progress_.filtered.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      keep.push_back(std::move(k));
    }
    if (keep.empty()) continue;
    const int64_t now =
        options_.unix_now ? options_.unix_now() : static_cast<int64_t>(time(nullptr));
    uint64_t found = 0;
    s = reader.Fetch(keep, [&](const CopyItem& item) -> Status {
      ++found;
      int64_t exptime = 0;
      if (!ExptimeForTtl(item.ttl, now, &exptime)) {
        progress_.expired.fetch_add(1, std::memory_order_relaxed);
        return Status::Ok();
      }
      Status a = writer.Add(item, exptime);
      if (!a.ok()) return a;
      progress_.bytes.fetch_add(item.value.size(), std::memory_order_relaxed);
      if (writer.pending_bytes() > options_.max_pending_bytes) return FlushWriter(writer);
      return Status::Ok();
    });
    if (!s.ok()) return s;
    progress_.vanished.fetch_add(keep.size() - found, std::memory_order_relaxed);
    s = FlushWriter(writer);
    if (!s.ok()) return s;
    progress_.batches.fetch_add(1, std::memory_order_relaxed);
  }
  return Status::Ok();
}

}  // namespace memfleet::cluster
