#include "server/ascii_auth_handler.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>

#include "server/auth.h"
#include "server/handler_test_util.h"

namespace memfleet::server {
namespace {

using testing::FakeWorld;

// The expected replies are memcached 1.6.18's to the same bytes under -Y (test_auth.py).
class AsciiAuthHandlerTest : public ::testing::Test {
 protected:
  AsciiAuthHandlerTest() { w_.server.credentials_ = users_.get(); }

  // Feeds bytes to the handler as a -Y connection does before it has authenticated: one attempt
  // after another until the handler needs more bytes, the connection closes or it has logged
  // in; returns the replies.
  std::string Send(std::string_view bytes) {
    w_.Receive(bytes);
    while (!w_.in.empty() && !w_.conn.authenticated_ && !w_.conn.closed_now_) {
      if (!handler_.Execute()) break;
    }
    return w_.TakeOutput();
  }

  std::unique_ptr<CredentialStore> users_ =
      CredentialStore::Parse("alice:secret\nbob:pa ss\n", CredentialStore::Format::kAsciiAuth);
  FakeWorld w_;
  AsciiAuthHandler handler_{w_.context()};
};

TEST_F(AsciiAuthHandlerTest, GoodLoginStoresAndUnlocks) {
  EXPECT_EQ(Send("set any 0 0 12\r\nalice secret\r\n"), "STORED\r\n");
  EXPECT_TRUE(w_.conn.authenticated_);
  EXPECT_TRUE(w_.in.empty());
  EXPECT_EQ(w_.stats.auth_cmds.Get(), 1u);
  EXPECT_EQ(w_.stats.auth_errors.Get(), 0u);
  EXPECT_EQ(w_.conn.commands_touched_, 1);
  // Nothing is stored: the key, flags and exptime of the login are ignored.
  EXPECT_FALSE(w_.t.Get("any").has_value());
}

TEST_F(AsciiAuthHandlerTest, RequestsBehindTheLoginAreLeftForTheTextProtocol) {
  EXPECT_EQ(Send("set k 1 2 12\r\nalice secret\r\nget k\r\n"), "STORED\r\n");
  EXPECT_TRUE(w_.conn.authenticated_);
  EXPECT_EQ(w_.in.view(), "get k\r\n");
}

TEST_F(AsciiAuthHandlerTest, BadPasswordFailsAndAnotherTryIsRead) {
  EXPECT_EQ(Send("set k 0 0 11\r\nalice wrong\r\n"), "CLIENT_ERROR authentication failure\r\n");
  EXPECT_FALSE(w_.conn.authenticated_);
  EXPECT_FALSE(w_.conn.closed_now_);
  EXPECT_EQ(w_.stats.auth_cmds.Get(), 1u);
  EXPECT_EQ(w_.stats.auth_errors.Get(), 1u);
  EXPECT_EQ(Send("set k 0 0 10\r\nnobody x y\r\n"), "CLIENT_ERROR authentication failure\r\n");
  EXPECT_EQ(Send("set k 0 0 12\r\nalice secret\r\n"), "STORED\r\n");
  EXPECT_TRUE(w_.conn.authenticated_);
  EXPECT_EQ(w_.stats.auth_cmds.Get(), 3u);
  EXPECT_EQ(w_.stats.auth_errors.Get(), 2u);
}

TEST_F(AsciiAuthHandlerTest, ThePasswordIsTheSecondTokenOnly) {
  // "bob:pa ss" holds a space, which the login's tokens can never carry.
  EXPECT_EQ(Send("set k 0 0 9\r\nbob pa ss\r\n"), "CLIENT_ERROR authentication failure\r\n");
  EXPECT_FALSE(w_.conn.authenticated_);
}

TEST_F(AsciiAuthHandlerTest, NoCredentialStoreFailsEveryLogin) {
  w_.server.credentials_ = nullptr;
  EXPECT_EQ(Send("set k 0 0 12\r\nalice secret\r\n"), "CLIENT_ERROR authentication failure\r\n");
  EXPECT_FALSE(w_.conn.authenticated_);
}

TEST_F(AsciiAuthHandlerTest, AnythingButASetIsUnauthenticated) {
  EXPECT_EQ(Send("get k\r\n"), "CLIENT_ERROR unauthenticated\r\n");
  EXPECT_EQ(Send("version\r\n"), "CLIENT_ERROR unauthenticated\r\n");
  // A set with too few tokens, or a length that is not a number, is no login either; its data
  // block is then read as the next attempt's line.
  EXPECT_EQ(Send("set k 0 0\r\n"), "CLIENT_ERROR unauthenticated\r\n");
  EXPECT_EQ(Send("set k 0 0 x\r\nalice secret\r\n"),
            "CLIENT_ERROR unauthenticated\r\nCLIENT_ERROR unauthenticated\r\n");
  EXPECT_TRUE(w_.in.empty());
  EXPECT_FALSE(w_.conn.authenticated_);
  EXPECT_EQ(w_.stats.auth_cmds.Get(), 0u);
  EXPECT_EQ(w_.conn.commands_touched_, 0);
}

TEST_F(AsciiAuthHandlerTest, NoreplyIsIgnored) {
  EXPECT_EQ(Send("set k 0 0 11 noreply\r\nalice wrong\r\n"),
            "CLIENT_ERROR authentication failure\r\n");
  EXPECT_EQ(Send("set k 0 0 12 noreply\r\nalice secret\r\n"), "STORED\r\n");
  EXPECT_TRUE(w_.conn.authenticated_);
}

TEST_F(AsciiAuthHandlerTest, PartialLineAndDataBlockWaitForMoreBytes) {
  EXPECT_EQ(Send("set k 0 0 12"), "");
  EXPECT_EQ(w_.in.view(), "set k 0 0 12");
  EXPECT_EQ(Send("\r\nalice sec"), "");
  EXPECT_EQ(w_.in.view(), "set k 0 0 12\r\nalice sec");
  EXPECT_EQ(w_.conn.commands_touched_, 0);
  EXPECT_EQ(Send("ret\r"), "");  // the terminator too
  EXPECT_EQ(Send("\n"), "STORED\r\n");
  EXPECT_TRUE(w_.conn.authenticated_);
  EXPECT_TRUE(w_.in.empty());
}

TEST_F(AsciiAuthHandlerTest, BadTerminatorAndMissingPassword) {
  EXPECT_EQ(Send("set k 0 0 12\r\nalice secretXY"),
            "CLIENT_ERROR bad command line termination\r\n");
  EXPECT_TRUE(w_.in.empty());
  EXPECT_EQ(Send("set k 0 0 5\r\nalice\r\n"), "CLIENT_ERROR bad authentication token format\r\n");
  EXPECT_FALSE(w_.conn.authenticated_);
  // Neither reached the credential check.
  EXPECT_EQ(w_.stats.auth_cmds.Get(), 0u);
  EXPECT_EQ(w_.conn.commands_touched_, 2);
}

TEST_F(AsciiAuthHandlerTest, ALongLineWithoutNewlineClosesTheConnection) {
  EXPECT_EQ(Send(std::string(2048, 'x')), "");
  EXPECT_FALSE(w_.conn.closed_now_);  // 2048 bytes may still be a line
  EXPECT_EQ(Send("x"), "");
  EXPECT_TRUE(w_.conn.closed_now_);
}

}  // namespace
}  // namespace memfleet::server
