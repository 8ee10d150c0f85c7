#include "server/item_pin.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "net/out_buffer.h"
#include "storage/engine_test_util.h"

namespace memfleet::server {
namespace {

using storage::ItemRef;
using storage::testing::TestEngine;

TEST(ItemPinTest, APinHoldsTheItemsReferenceUntilReset) {
  TestEngine t;
  ASSERT_EQ(t.Set("k", "value"), storage::StoreResult::kStored);
  ItemRef probe = t.engine->Get(*t.session, "k");
  const uint64_t base = t.engine->refcount(probe);
  net::Pin pin = PinItem(t.engine->Get(*t.session, "k"));
  EXPECT_TRUE(pin);
  EXPECT_EQ(t.engine->refcount(probe), base + 1);
  pin.Reset();
  EXPECT_EQ(t.engine->refcount(probe), base);
  EXPECT_FALSE(PinItem(ItemRef()));  // an empty item gives an empty pin
}

// The zero-copy path end to end: the value leaves from item memory, the item stays referenced
// (readable even once deleted) until its bytes are out, and the reference is then dropped.
TEST(ItemPinTest, OutBufferSendsADeletedItemsValueAndThenDropsItsReference) {
  TestEngine t;
  const std::string value(100000, 'q');
  ASSERT_EQ(t.Set("big", value), storage::StoreResult::kStored);
  ItemRef item = t.engine->Get(*t.session, "big");
  ASSERT_TRUE(item);
  ASSERT_FALSE(item.chunked());
  ItemRef probe = t.engine->Get(*t.session, "big");
  const uint64_t with_item_and_probe = t.engine->refcount(probe);
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  net::OutBuffer out;
  std::span<const char> v = item.value();
  out.AppendPinned(v.data(), v.size(), PinItem(std::move(item)));
  EXPECT_EQ(t.engine->Delete(*t.session, "big", 0), storage::DeleteResult::kDeleted);
  EXPECT_EQ(t.engine->refcount(probe), with_item_and_probe - 1);  // unlinked, still pinned
  std::string got;
  char buf[65536];
  for (int i = 0; i < 100000 && !out.empty(); ++i) {
    ASSERT_GE(out.Flush(sv[0]), 0);
    ssize_t n;
    while ((n = read(sv[1], buf, sizeof(buf))) > 0) got.append(buf, static_cast<size_t>(n));
  }
  EXPECT_TRUE(got == value);
  // Unlinked by the delete, released by the sent OutBuffer: only the probe holds it now.
  EXPECT_EQ(t.engine->refcount(probe), with_item_and_probe - 2);
  close(sv[0]);
  close(sv[1]);
}

}  // namespace
}  // namespace memfleet::server
