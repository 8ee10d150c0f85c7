#include "router/routes/routing_key.h"

#include <gtest/gtest.h>

#include <string>

namespace memfleet::router {

using protocol::Request;
namespace {

TEST(RoutingKeyTest, PlainKeyIsTheKeyAsSent) {
  Request req;
  req.key = "user:42";
  RoutingKey k(req);
  EXPECT_EQ(k.view(), "user:42");
  EXPECT_EQ(k.view().data(), req.key.data());  // no copy
}

TEST(RoutingKeyTest, Base64KeyIsDecoded) {
  Request req;
  req.key = "dXNlcjo0Mg==";  // "user:42"
  req.meta.base64_key = true;
  RoutingKey k(req);
  EXPECT_EQ(k.view(), "user:42");
}

TEST(RoutingKeyTest, BinaryBytesSurviveDecoding) {
  Request req;
  req.key = "AP8gCg==";  // 00 ff 20 0a
  req.meta.base64_key = true;
  RoutingKey k(req);
  EXPECT_EQ(k.view(), std::string("\x00\xff\x20\x0a", 4));
}

TEST(RoutingKeyTest, KeyThatDoesNotDecodeIsUsedAsSent) {
  Request req;
  req.key = "not*base64";
  req.meta.base64_key = true;
  EXPECT_EQ(RoutingKey(req).view(), "not*base64");
  std::string huge(1000, 'A');  // decodes to more than any key may hold
  req.key = huge;
  EXPECT_EQ(RoutingKey(req).view(), huge);
}

}  // namespace
}  // namespace memfleet::router
