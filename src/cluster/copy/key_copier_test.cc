// KeyCopier against in-memory fakes of its three roles: what is copied, what is left alone
// (a key the target has, one gone from the source, one with no time left, one the filter drops),
// how TTLs become exptimes, that memory stays bounded (batches, flushes past the byte bound),
// and that errors and Stop end a copy. Metadump line parsing is tested with it.
#include "cluster/copy/key_copier.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "cluster/copy/memcache_endpoints.h"

namespace memfleet::cluster {
namespace {

struct Item {
  std::string value;
  uint32_t flags = 0;
  int64_t ttl = -1;
};

class FakeSource final : public KeyLister, public ItemReader {
 public:
  Status Next(size_t max, std::vector<std::string>* keys, bool* done) override {
    keys->clear();
    max_batch = std::max(max_batch, max);
    while (keys->size() < max && pos < order.size()) keys->push_back(order[pos++]);
    *done = pos == order.size();
    if (fail_list_after >= 0 && static_cast<int>(pos) > fail_list_after) {
      return Status::IoError("source: listing broke");
    }
    return Status::Ok();
  }
  Status Fetch(const std::vector<std::string>& keys,
               const std::function<Status(const CopyItem&)>& on_item) override {
    ++fetches;
    for (const std::string& k : keys) {
      auto it = items.find(k);
      if (it == items.end()) continue;
      CopyItem c;
      c.key = k;
      c.value = it->second.value;
      c.flags = it->second.flags;
      c.ttl = it->second.ttl;
      Status s = on_item(c);
      if (!s.ok()) return s;
    }
    return Status::Ok();
  }
  void Put(const std::string& k, Item i) {
    items[k] = std::move(i);
    order.push_back(k);
  }
  std::map<std::string, Item> items;
  std::vector<std::string> order;  // what the listing gives, in order
  size_t pos = 0;
  size_t max_batch = 0;
  int fetches = 0;
  int fail_list_after = -1;
};

class FakeTarget final : public ItemWriter {
 public:
  Status Add(const CopyItem& item, int64_t exptime) override {
    queued.push_back({std::string(item.key), {std::string(item.value), item.flags, exptime}});
    pending += item.value.size();
    max_pending = std::max(max_pending, pending);
    return Status::Ok();
  }
  size_t pending_bytes() const override { return pending; }
  Status Flush(AddOutcomes* out) override {
    ++flushes;
    if (fail_flush) return Status::IoError("target: connection lost");
    for (auto& [k, item] : queued) {
      if (refuse.count(k) != 0) {
        ++out->refused;
      } else if (items.count(k) != 0) {
        ++out->existed;  // add: never overwritten
      } else {
        items[k] = item;
        ++out->added;
      }
    }
    queued.clear();
    pending = 0;
    return Status::Ok();
  }
  std::map<std::string, Item> items;  // ttl holds the exptime the copy sent
  std::vector<std::pair<std::string, Item>> queued;
  std::map<std::string, bool> refuse;
  size_t pending = 0;
  size_t max_pending = 0;
  int flushes = 0;
  bool fail_flush = false;
};

CopyOptions Options(size_t batch_keys = 128, int64_t now = 1000) {
  CopyOptions o;
  o.batch_keys = batch_keys;
  o.unix_now = [now] { return now; };
  return o;
}

TEST(KeyCopier, CopiesEveryKeyWithItsFlagsAndTtlAndNeverOverwrites) {
  FakeSource src;
  src.Put("a", {"va", 7, -1});
  src.Put("b", {"vb", 0, 100});
  src.Put("c", {"vc", 3, -1});
  src.order.push_back("gone");  // listed, then evicted before the fetch
  FakeTarget dst;
  dst.items["c"] = {"newer", 9, 0};  // written to the target after the copy began
  KeyCopier copier(Options(2));
  ASSERT_TRUE(copier.Run(src, src, dst).ok());
  EXPECT_EQ(dst.items["a"].value, "va");
  EXPECT_EQ(dst.items["a"].flags, 7u);
  EXPECT_EQ(dst.items["a"].ttl, 0);  // no expiry
  EXPECT_EQ(dst.items["b"].ttl, 100);
  EXPECT_EQ(dst.items["c"].value, "newer");
  EXPECT_EQ(dst.items.count("gone"), 0u);
  const CopyProgress& p = copier.progress();
  EXPECT_EQ(p.listed.load(), 4u);
  EXPECT_EQ(p.copied.load(), 2u);
  EXPECT_EQ(p.existed.load(), 1u);
  EXPECT_EQ(p.vanished.load(), 1u);
  EXPECT_EQ(p.bytes.load(), 6u);
  EXPECT_EQ(p.batches.load(), 2u);
  EXPECT_EQ(src.max_batch, 2u);
}

TEST(KeyCopier, TtlsBecomeExptimesAndAnEndingItemIsNotCopied) {
  int64_t e = -5;
  EXPECT_TRUE(ExptimeForTtl(-1, 1000, &e));
  EXPECT_EQ(e, 0);
  EXPECT_FALSE(ExptimeForTtl(0, 1000, &e));  // T0 would make it immortal
  EXPECT_FALSE(ExptimeForTtl(-2, 1000, &e));
  EXPECT_TRUE(ExptimeForTtl(1, 1000, &e));
  EXPECT_EQ(e, 1);
  EXPECT_TRUE(ExptimeForTtl(kMaxRelativeExptime, 1000, &e));
  EXPECT_EQ(e, kMaxRelativeExptime);
  // Past 30 days memcached reads a number as a unix time: send when it ends.
  EXPECT_TRUE(ExptimeForTtl(kMaxRelativeExptime + 1, 1000, &e));
  EXPECT_EQ(e, 1000 + kMaxRelativeExptime + 1);

  FakeSource src;
  src.Put("ending", {"v", 0, 0});
  src.Put("long", {"v", 0, kMaxRelativeExptime * 2});
  FakeTarget dst;
  KeyCopier copier(Options(128, 5000));
  ASSERT_TRUE(copier.Run(src, src, dst).ok());
  EXPECT_EQ(dst.items.count("ending"), 0u);
  EXPECT_EQ(dst.items["long"].ttl, 5000 + kMaxRelativeExptime * 2);
  EXPECT_EQ(copier.progress().expired.load(), 1u);
}

TEST(KeyCopier, TheFilterKeepsOnlyTheKeysAsked) {
  FakeSource src;
  for (int i = 0; i < 10; ++i) src.Put("k" + std::to_string(i), {"v", 0, -1});
  FakeTarget dst;
  CopyOptions o = Options();
  o.filter = [](std::string_view k) { return k.back() % 2 == 0; };
  KeyCopier copier(o);
  ASSERT_TRUE(copier.Run(src, src, dst).ok());
  EXPECT_EQ(dst.items.size(), 5u);
  EXPECT_EQ(dst.items.count("k1"), 0u);
  EXPECT_EQ(copier.progress().filtered.load(), 5u);
}

TEST(KeyCopier, MemoryIsBoundedByTheBatchAndThePendingBytes) {
  FakeSource src;
  const std::string value(1000, 'x');
  for (int i = 0; i < 100; ++i) src.Put("k" + std::to_string(i), {value, 0, -1});
  FakeTarget dst;
  CopyOptions o = Options(50);
  o.max_pending_bytes = 4096;
  KeyCopier copier(o);
  ASSERT_TRUE(copier.Run(src, src, dst).ok());
  EXPECT_EQ(dst.items.size(), 100u);
  EXPECT_EQ(src.max_batch, 50u);
  // Flushed as soon as the queue passes the bound: never more than the bound plus one value.
  EXPECT_LE(dst.max_pending, 4096u + value.size());
  EXPECT_GE(dst.flushes, 20);
}

TEST(KeyCopier, AnErrorEndsTheCopyWithIt) {
  FakeSource src;
  for (int i = 0; i < 10; ++i) src.Put("k" + std::to_string(i), {"v", 0, -1});
  src.fail_list_after = 4;
  FakeTarget dst;
  KeyCopier copier(Options(2));
  Status s = copier.Run(src, src, dst);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("listing broke"), std::string::npos);

  FakeSource src2;
  src2.Put("k", {"v", 0, -1});
  FakeTarget broken;
  broken.fail_flush = true;
  KeyCopier copier2(Options());
  EXPECT_FALSE(copier2.Run(src2, src2, broken).ok());
}

TEST(KeyCopier, RefusedKeysAreCountedAndSkipped) {
  FakeSource src;
  src.Put("big", {"v", 0, -1});
  src.Put("ok", {"v", 0, -1});
  FakeTarget dst;
  dst.refuse["big"] = true;
  KeyCopier copier(Options());
  ASSERT_TRUE(copier.Run(src, src, dst).ok());
  EXPECT_EQ(copier.progress().refused.load(), 1u);
  EXPECT_EQ(copier.progress().copied.load(), 1u);
}

TEST(KeyCopier, StopEndsTheCopyBetweenBatches) {
  FakeSource src;
  for (int i = 0; i < 10; ++i) src.Put("k" + std::to_string(i), {"v", 0, -1});
  FakeTarget dst;
  KeyCopier copier(Options(3));
  copier.Stop();
  EXPECT_FALSE(copier.Run(src, src, dst).ok());
  EXPECT_TRUE(dst.items.empty());
  EXPECT_EQ(src.fetches, 0);
}

TEST(Metadump, KeysAreDecoded) {
  std::string key;
  ASSERT_TRUE(ParseMetadumpKey("key=plain exp=-1 la=1 cas=2 fetch=no cls=1 size=60", &key));
  EXPECT_EQ(key, "plain");
  ASSERT_TRUE(ParseMetadumpKey("key=a%20b%0Dc%25 exp=-1 la=1 cas=2 fetch=no cls=1 size=60", &key));
  EXPECT_EQ(key, std::string("a b\rc%"));
  ASSERT_TRUE(ParseMetadumpKey("key=%c3%A9", &key));
  EXPECT_EQ(key, "\xc3\xa9");
  EXPECT_FALSE(ParseMetadumpKey("END", &key));
  EXPECT_FALSE(ParseMetadumpKey("key=bad%2", &key));
  EXPECT_FALSE(ParseMetadumpKey("key=bad%zz exp=1", &key));
  EXPECT_FALSE(ParseMetadumpKey("key= exp=1", &key));  // empty
}

}  // namespace
}  // namespace memfleet::cluster
