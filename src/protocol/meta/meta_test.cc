#include "protocol/meta/meta.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "protocol/text/request.h"

namespace memfleet::protocol::meta {
namespace {

struct Parsed {
  std::string error;
  MetaFlags flags;  // its views are dangling once Parse returns: use key and opaque
  std::string key;
  std::string opaque;
};

// Splits a line as the text parser does and parses its meta flags.
Parsed Parse(MetaCommand cmd, const std::string& line) {
  std::vector<std::string_view> toks;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ') ++j;
    if (j > i) toks.emplace_back(line.data() + i, j - i);
    i = j;
  }
  static char key_buf[kKeyMaxLength];
  Parsed p;
  size_t first = cmd == MetaCommand::kSet ? 2 : 1;
  std::span<const std::string_view> flags(toks.data() + first, toks.size() - first);
  p.error = std::string(ParseMetaFlags(cmd, toks[0], flags, key_buf, &p.flags));
  p.key = std::string(p.flags.key);
  p.opaque = std::string(p.flags.opaque);
  p.flags.key = {};
  p.flags.opaque = {};
  return p;
}

Parsed Get(const std::string& line) { return Parse(MetaCommand::kGet, line); }

TEST(MetaFlagsTest, NoFlags) {
  Parsed p = Get("foo");
  EXPECT_EQ(p.error, "");
  EXPECT_EQ(p.key, "foo");
  EXPECT_FALSE(p.flags.value);
  EXPECT_FALSE(p.flags.Has('v'));
  EXPECT_EQ(p.flags.delta, 1u);
}

TEST(MetaFlagsTest, EveryReturnFlagIsAccepted) {
  Parsed p = Get("foo b c f h k l O1 P L s t u v q");
  EXPECT_EQ(p.error, "CLIENT_ERROR error decoding key");  // "foo" is not base64
  p = Get("Zm9v b c f h k l O1 P L s t u v q");
  EXPECT_EQ(p.error, "");
  EXPECT_EQ(p.key, "foo");
  EXPECT_TRUE(p.flags.key_binary);
  EXPECT_TRUE(p.flags.value);
  EXPECT_TRUE(p.flags.quiet);
  EXPECT_TRUE(p.flags.no_update);
  EXPECT_EQ(p.opaque, "O1");
  for (char c : std::string("bcfhklOPLstuvq")) EXPECT_TRUE(p.flags.Has(c)) << c;
  EXPECT_FALSE(p.flags.Has('N'));
}

TEST(MetaFlagsTest, NumericFlags) {
  Parsed p = Get("k N30 T-1 R90 F7 C123 MD J5 D9 I");
  EXPECT_EQ(p.error, "");
  EXPECT_TRUE(p.flags.vivify);
  EXPECT_EQ(p.flags.vivify_ttl, 30);
  EXPECT_TRUE(p.flags.touch);
  EXPECT_EQ(p.flags.ttl, -1);
  EXPECT_TRUE(p.flags.recache);
  EXPECT_EQ(p.flags.recache_ttl, 90);
  EXPECT_EQ(p.flags.client_flags, 7u);
  EXPECT_TRUE(p.flags.has_cas);
  EXPECT_EQ(p.flags.cas, 123u);
  EXPECT_EQ(p.flags.mode, 'D');
  EXPECT_EQ(p.flags.initial, 5u);
  EXPECT_EQ(p.flags.delta, 9u);
  EXPECT_TRUE(p.flags.set_stale);
}

TEST(MetaFlagsTest, Errors) {
  EXPECT_EQ(Get("k s s").error, "CLIENT_ERROR duplicate flag");
  EXPECT_EQ(Get("k zz").error, "CLIENT_ERROR invalid flag");
  EXPECT_EQ(Get("k E5").error, "CLIENT_ERROR invalid flag");  // not in 1.6.18
  EXPECT_EQ(Get("k \x7f").error, "CLIENT_ERROR duplicate flag");
  EXPECT_EQ(Get("k Nx").error, "CLIENT_ERROR bad token in command line format");
  EXPECT_EQ(Get("k N").error, "CLIENT_ERROR bad token in command line format");
  EXPECT_EQ(Get("k Tx").error, "CLIENT_ERROR bad token in command line format");
  EXPECT_EQ(Get("k Rx").error, "CLIENT_ERROR bad token in command line format");
  EXPECT_EQ(Get("k Cx").error, "CLIENT_ERROR bad token in command line format");
  EXPECT_EQ(Get("k Fx").error, "CLIENT_ERROR bad command line format");
  EXPECT_EQ(Get("k MDD").error, "CLIENT_ERROR incorrect length for M token");
  EXPECT_EQ(Get("k M").error, "CLIENT_ERROR incorrect length for M token");
  EXPECT_EQ(Get("k Jx").error, "CLIENT_ERROR invalid numeric initial value");
  EXPECT_EQ(Get("k Dx").error, "CLIENT_ERROR invalid numeric delta value");
  // An immediate error (duplicate/invalid) wins over an earlier deferred one.
  EXPECT_EQ(Get("k Nx zz").error, "CLIENT_ERROR invalid flag");
  EXPECT_EQ(Get("k Nx Dx").error, "CLIENT_ERROR invalid numeric delta value");
  EXPECT_EQ(Get("k Dx Nx").error, "CLIENT_ERROR bad token in command line format");
  EXPECT_EQ(Get("k O123456789012345678901234567890123").error,
            "CLIENT_ERROR opaque token too long");
  EXPECT_EQ(Get("k O1234567890123456789012345678901").error, "");
}

TEST(MetaFlagsTest, DeleteAndArithmeticReportOneError) {
  EXPECT_EQ(Parse(MetaCommand::kDelete, "k zz").error, "CLIENT_ERROR invalid or duplicate flag");
  EXPECT_EQ(Parse(MetaCommand::kDelete, "k q q").error, "CLIENT_ERROR invalid or duplicate flag");
  EXPECT_EQ(Parse(MetaCommand::kArithmetic, "k Dx").error,
            "CLIENT_ERROR invalid or duplicate flag");
  EXPECT_EQ(Parse(MetaCommand::kArithmetic, "k MX").error,
            "CLIENT_ERROR invalid mode for ma M token");
  for (const char* m : {"MI", "M+", "MD", "M-"}) {
    EXPECT_EQ(Parse(MetaCommand::kArithmetic, std::string("k ") + m).error, "") << m;
  }
}

TEST(MetaFlagsTest, SetModes) {
  for (const char* m : {"ME", "MA", "MP", "MR", "MS"}) {
    EXPECT_EQ(Parse(MetaCommand::kSet, std::string("k 1 ") + m).error, "") << m;
  }
  EXPECT_EQ(Parse(MetaCommand::kSet, "k 1 MZ").error, "CLIENT_ERROR invalid mode for ms M token");
  // The mode is checked before the opaque, as memcached does.
  EXPECT_EQ(Parse(MetaCommand::kSet, "k 1 O123456789012345678901234567890123 MZ").error,
            "CLIENT_ERROR invalid mode for ms M token");
  EXPECT_EQ(Parse(MetaCommand::kSet, "k 1 Fx").error, "CLIENT_ERROR bad command line format");
}

TEST(Base64Test, RoundTrip) {
  for (std::string s : std::vector<std::string>{"a", "ab", "abc", "abcd", "foo bar\r\n",
                                                std::string("\0\xff\x10", 3)}) {
    char enc[64];
    size_t n = Base64Encode(s, enc);
    EXPECT_EQ(n, Base64EncodedSize(s.size()));
    char dec[64];
    size_t m = Base64Decode(std::string_view(enc, n), dec, sizeof(dec));
    EXPECT_EQ(std::string(dec, m), s);
  }
}

TEST(Base64Test, DecodeErrors) {
  char out[16];
  EXPECT_EQ(Base64Decode("", out, sizeof(out)), 0u);
  EXPECT_EQ(Base64Decode("abc", out, sizeof(out)), 0u);
  EXPECT_EQ(Base64Decode("a===", out, sizeof(out)), 0u);
  EXPECT_EQ(Base64Decode("Zm9vYmFy", out, 5), 0u);  // no room
  // Characters outside the alphabet are skipped, as memcached's decoder does.
  EXPECT_EQ(Base64Decode("Zm!9v", out, sizeof(out)), 3u);
  EXPECT_EQ(std::string(out, 3), "foo");
  EXPECT_EQ(Base64Decode("YQ==", out, sizeof(out)), 1u);
  EXPECT_EQ(Base64Decode("YWI=", out, sizeof(out)), 2u);
}

TEST(MetaReplyWriterTest, Composes) {
  char buf[kMaxReplyLineSize];
  MetaReplyWriter w(buf);
  w.Value(5);
  w.Flag('s', 5);
  w.Ttl(true, 0);
  w.Ttl(false, 30);
  w.Opaque("O12");
  w.Key("foo", false);
  w.Key("foo", true);
  w.Char('Z');
  w.Char('X');
  w.Char('W');
  size_t n = w.End();
  EXPECT_EQ(std::string(buf, n), "VA 5 s5 t-1 t30 O12 kfoo kZm9v b Z X W\r\n");
  MetaReplyWriter e(buf);
  e.Code("EN");
  EXPECT_EQ(std::string(buf, e.End()), "EN\r\n");
}

TEST(MetaReplyWriterTest, WorstCaseFits) {
  std::vector<char> buf(kMaxReplyLineSize + 64, '#');
  MetaReplyWriter w(buf.data());
  w.Value(UINT32_MAX);
  for (char c : std::string("scflhtk")) w.Flag(c, UINT64_MAX);
  w.Opaque(std::string(kMaxOpaqueLength, 'O'));
  w.Key(std::string(187, 'k'), true);
  w.Key(std::string(250, 'k'), false);
  w.Char('Z');
  w.Char('X');
  w.Char('W');
  EXPECT_LE(w.End(), kMaxReplyLineSize);
}

// Every split point of a meta line: the text parser asks for more bytes until the line is
// whole, then the flags parse the same way.
TEST(MetaSplitTest, EverySplitPoint) {
  const std::string line = "mg Zm9v b s v t f c k O99 N30 R5 T10 q\r\n";
  for (size_t cut = 0; cut < line.size(); ++cut) {
    text::Request req;
    text::ParseResult r = text::ParseRequest(std::string_view(line.data(), cut), &req);
    EXPECT_EQ(r.status, text::ParseStatus::kIncomplete) << cut;
  }
  text::Request req;
  text::ParseResult r = text::ParseRequest(line, &req);
  ASSERT_EQ(r.status, text::ParseStatus::kOk);
  EXPECT_EQ(req.command, text::Command::kMetaGet);
  char key_buf[kKeyMaxLength];
  MetaFlags f;
  std::span<const std::string_view> toks(req.tokens.data() + 2, req.ntokens - 2);
  EXPECT_EQ(ParseMetaFlags(MetaCommand::kGet, req.key, toks, key_buf, &f), "");
  EXPECT_EQ(f.key, "foo");
  EXPECT_EQ(f.vivify_ttl, 30);
  EXPECT_EQ(f.recache_ttl, 5);
  EXPECT_EQ(f.ttl, 10);
  EXPECT_TRUE(f.quiet);
}

}  // namespace
}  // namespace memfleet::protocol::meta
