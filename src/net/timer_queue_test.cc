#include "net/timer_queue.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace memfleet::net {
namespace {

TEST(TimerQueueTest, FiresDueTimersInDeadlineOrderThenInsertionOrder) {
  TimerQueue q;
  std::string fired;
  q.Add(30, [&] { fired += "c"; });
  q.Add(10, [&] { fired += "a"; });
  q.Add(20, [&] { fired += "b1"; });
  q.Add(20, [&] { fired += "b2"; });
  q.Add(40, [&] { fired += "d"; });
  EXPECT_EQ(q.NextDeadline(), 10);
  EXPECT_EQ(q.RunExpired(9), 0u);
  EXPECT_EQ(q.RunExpired(30), 4u);
  EXPECT_EQ(fired, "ab1b2c");
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(q.NextDeadline(), 40);
}

TEST(TimerQueueTest, CancelledTimersNeverFireAndCancelIsIdempotent) {
  TimerQueue q;
  int fired = 0;
  TimerId a = q.Add(10, [&] { fired += 1; });
  TimerId b = q.Add(10, [&] { fired += 10; });
  EXPECT_TRUE(q.Cancel(a));
  EXPECT_FALSE(q.Cancel(a));
  EXPECT_FALSE(q.Cancel(kNoTimer));
  EXPECT_EQ(q.RunExpired(100), 1u);
  EXPECT_EQ(fired, 10);
  EXPECT_FALSE(q.Cancel(b));  // already fired
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.NextDeadline(), -1);
}

TEST(TimerQueueTest, AStaleIdDoesNotCancelTheTimerThatReusedItsSlot) {
  TimerQueue q;
  int fired = 0;
  TimerId old_id = q.Add(10, [] {});
  ASSERT_TRUE(q.Cancel(old_id));
  TimerId new_id = q.Add(10, [&] { ++fired; });  // reuses the freed slot
  EXPECT_NE(old_id, new_id);
  EXPECT_FALSE(q.Cancel(old_id));
  q.RunExpired(10);
  EXPECT_EQ(fired, 1);
}

TEST(TimerQueueTest, CancelReleasesWhatTheCallbackCaptured) {
  TimerQueue q;
  auto token = std::make_shared<int>(7);
  TimerId id = q.Add(10, [token] {});
  EXPECT_EQ(token.use_count(), 2);
  q.Cancel(id);
  EXPECT_EQ(token.use_count(), 1);
}

TEST(TimerQueueTest, CallbacksMayAddAndCancelButNewDueTimersWaitForTheNextRun) {
  TimerQueue q;
  std::vector<std::string> fired;
  TimerId victim = q.Add(20, [&] { fired.push_back("victim"); });
  q.Add(10, [&] {
    fired.push_back("first");
    EXPECT_TRUE(q.Cancel(victim));
    q.Add(0, [&] { fired.push_back("added"); });  // already due
  });
  EXPECT_EQ(q.RunExpired(50), 1u);
  EXPECT_EQ(fired, (std::vector<std::string>{"first"}));
  EXPECT_EQ(q.RunExpired(50), 1u);
  EXPECT_EQ(fired, (std::vector<std::string>{"first", "added"}));
}

// Many timers, most cancelled (as per-request deadlines are), checked against a plain model.
TEST(TimerQueueTest, ThousandsOfTimersWithRandomCancelsMatchAModel) {
  TimerQueue q;
  std::mt19937 rng(42);
  struct Entry {
    TimerId id;
    int64_t deadline;
    bool cancelled;
  };
  std::vector<Entry> entries;
  std::vector<size_t> order;
  for (size_t i = 0; i < 20000; ++i) {
    int64_t deadline = static_cast<int64_t>(rng() % 5000);
    TimerId id = q.Add(deadline, [&order, i] { order.push_back(i); });
    entries.push_back(Entry{id, deadline, false});
    if (i % 3 != 0) {  // cancel a random earlier live timer
      size_t j = rng() % entries.size();
      if (!entries[j].cancelled) {
        EXPECT_TRUE(q.Cancel(entries[j].id));
        entries[j].cancelled = true;
      }
    }
  }
  size_t live = 0;
  for (const Entry& e : entries) live += e.cancelled ? 0 : 1;
  EXPECT_EQ(q.size(), live);
  for (int64_t now = 0; now < 5000; now += 250) q.RunExpired(now);
  q.RunExpired(5000);
  ASSERT_EQ(order.size(), live);
  for (size_t k = 0; k < order.size(); ++k) {
    EXPECT_FALSE(entries[order[k]].cancelled);
    if (k > 0) {
      const Entry& a = entries[order[k - 1]];
      const Entry& b = entries[order[k]];
      // Within one RunExpired call the order is (deadline, insertion); across calls deadlines
      // only grow, so the whole sequence is sorted by deadline, ties by insertion.
      EXPECT_TRUE(a.deadline < b.deadline || (a.deadline == b.deadline && order[k - 1] < order[k]));
    }
  }
  EXPECT_TRUE(q.empty());
}

}  // namespace
}  // namespace memfleet::net
