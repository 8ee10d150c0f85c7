// Known answers for the hash primitives: MD5 (RFC 1321 appendix A.5), CRC-32 (the standard check
// value), SpookyHash V2 (Bob Jenkins' published results, also folly's SpookyHashV2Test), and the
// twemproxy/libhashkit key hashes (values produced by Debian's libhashkit 1.1.4 itself through
// libhashkit_digest, and zlib.crc32 for crc32a; hsieh is absent from that build and is checked
// against Debian's nutcracker by tests/integration/test_placement.py).
#include <gtest/gtest.h>

#include <string>

#include "router/hash/crc32.h"
#include "router/hash/jump.h"
#include "router/hash/md5.h"
#include "router/hash/nutcracker_hash.h"
#include "router/hash/spooky.h"

namespace memfleet::router::hash {
namespace {

std::string Hex(const Md5Digest& d) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : d) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

TEST(Md5, Rfc1321TestSuite) {
  EXPECT_EQ(Hex(Md5("")), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(Hex(Md5("a")), "0cc175b9c0f1b6a831c399e269772661");
  EXPECT_EQ(Hex(Md5("abc")), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(Hex(Md5("message digest")), "f96b697d7cb7938d525a2f31aaf161d0");
  EXPECT_EQ(Hex(Md5("abcdefghijklmnopqrstuvwxyz")), "c3fcd3d76192e4007dfb496cca67e13b");
  EXPECT_EQ(Hex(Md5("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")),
            "d174ab98d277d9f5a5611c2c9f419d9f");
  EXPECT_EQ(Hex(Md5("1234567890123456789012345678901234567890123456789012345678901234567890123456"
                    "7890")),
            "57edf4a22be3c955ac49da2e2107b67a");
}

TEST(Md5, PaddingBoundaries) {
  // 55, 56, 63 and 64 bytes straddle the one-block / two-block padding cases.
  EXPECT_EQ(Hex(Md5(std::string(55, 'a'))), "ef1772b6dff9a122358552954ad0df65");
  EXPECT_EQ(Hex(Md5(std::string(56, 'a'))), "3b0c8ac703f828b04c6c197006d17218");
  EXPECT_EQ(Hex(Md5(std::string(64, 'a'))), "014842d480b571495a4a0363793f7367");
}

TEST(Md5, WordIsLittleEndian) {
  // libmemcached's md5 key hash of "a" (first digest word): 0cc175b9 -> 0xb975c10c.
  EXPECT_EQ(Md5Word(Md5("a"), 0), 0xb975c10cu);
}

TEST(Crc32, CheckValue) {
  EXPECT_EQ(Crc32("123456789"), 0xCBF43926u);
  EXPECT_EQ(Crc32(""), 0u);
  EXPECT_EQ(Crc32("a"), 0xe8b7be43u);
}

TEST(Spooky, PublishedHash32Results) {
  // Hash32 of the i-byte message {128, 129, ...} with seed 0 (the reference's TestResults).
  struct Case {
    size_t length;
    uint32_t expected;
  };
  const Case cases[] = {
      {0, 0x6bf50919},   {1, 0x70de1d26},   {2, 0xa2b37298},   {3, 0x35bc5fbf},   {4, 0x8223b279},
      {5, 0x5bcb315e},   {6, 0x53fe88a1},   {7, 0xf9f1a233},   {8, 0xee193982},   {9, 0x54f86f29},
      {10, 0xc8772d36},  {11, 0x9ed60886},  {12, 0x5f23d1da},  {13, 0x1ed9f474},  {14, 0xf2ef0c89},
      {15, 0x83ec01f9},  {16, 0xf274736c},  {17, 0x7e9ac0df},  {31, 0x027bca7c},  {32, 0xe5cfc8b6},
      {64, 0x069c8bb7},  {128, 0x94e948ec}, {191, 0xe13d9e19}, {192, 0x77e012bd}, {193, 0x2d05114c},
      {196, 0xb9429546}, {255, 0x2f40ee0b}, {256, 0x38cebf03}, {448, 0xad7baa23}, {511, 0xcc1c8250},
  };
  std::string buf(512, '\0');
  for (size_t i = 0; i < buf.size(); ++i) buf[i] = static_cast<char>(i + 128);
  for (const Case& c : cases) {
    EXPECT_EQ(SpookyHash32(std::string_view(buf.data(), c.length), 0), c.expected)
        << "length " << c.length;
  }
}

TEST(Fnv1a64, KnownValues) {
  EXPECT_EQ(Fnv1a64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(Fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(Fnv1a64("foobar"), 0x85944171f73967e8ULL);
}

struct HashCase {
  const char* key;
  size_t length;
  // one_at_a_time, md5, crc32, fnv1_64, fnv1a_64, fnv1_32, fnv1a_32, murmur, jenkins, crc32a
  uint32_t expected[10];
};

constexpr const char* kHashNames[10] = {"one_at_a_time", "md5",     "crc32",    "fnv1_64",
                                        "fnv1a_64",      "fnv1_32", "fnv1a_32", "murmur",
                                        "jenkins",       "crc32a"};

// clang-format off
const HashCase kHashCases[] = {
  {"", 0, {0x00000000u, 0xd98c1dd4u, 0x00000000u, 0x84222325u, 0x84222325u, 0x811c9dc5u, 0x811c9dc5u, 0x00000000u, 0xdeadbefcu, 0x00000000u}},
  {"a", 1, {0xca2e9442u, 0xb975c10cu, 0x000068b7u, 0x8601b7beu, 0x8601ec8cu, 0x050c5d7eu, 0xe40c292cu, 0x4b41757cu, 0xe0a38690u, 0xe8b7be43u}},
  {"abc", 3, {0xed131f5bu, 0x98500190u, 0x00003524u, 0x6bafadcbu, 0x0541574bu, 0x439c2f4bu, 0x1a47e90bu, 0x7b0cc428u, 0x8f415600u, 0x352441c2u}},
  {"hello world", 11, {0x3e4a5a57u, 0xbb3bb65eu, 0x00000d4au, 0xb1910e6fu, 0x023cd2e7u, 0x548da96fu, 0xd58b3fa7u, 0x5e19153bu, 0x153343fbu, 0x0d4a1185u}},
  {"key:12345", 9, {0x57eab8e2u, 0xdea1c9d5u, 0x000071f2u, 0xc94c3bbdu, 0xef6b5649u, 0x6974ea9du, 0x26778469u, 0xa9820fc6u, 0xe8784292u, 0x71f2d93au}},
  {"\xff\x80" "abc\xc3\xa9", 7, {0xa9ecf7a1u, 0x82f34272u, 0x000021dbu, 0x335429f0u, 0x59de79aau, 0x7b03fb50u, 0x39b0186au, 0x7346a251u, 0x4088deb6u, 0x21db0a5bu}},
  {"the quick brown fox jumps", 25, {0xd38e11e2u, 0x28770017u, 0x000067a2u, 0xd789f803u, 0x32dff6e7u, 0xfaa8fba3u, 0x8c22ab07u, 0x86afcafcu, 0x8380da58u, 0x67a2afc2u}},
  {"0123456789ab", 12, {0xf6361f26u, 0xbf520cb6u, 0x00000623u, 0xa4cfc71du, 0x43b49151u, 0x1963825du, 0x2d4c5d51u, 0x0d4e2821u, 0x6d223753u, 0x0623c932u}},
};
// clang-format on

TEST(NutcrackerHash, MatchesLibhashkit) {
  for (const HashCase& c : kHashCases) {
    const std::string_view key(c.key, c.length);
    for (int f = 0; f < 10; ++f) {
      Result<uint32_t> got = NutcrackerHash(kHashNames[f], key);
      ASSERT_TRUE(got.ok()) << kHashNames[f];
      EXPECT_EQ(got.value(), c.expected[f]) << kHashNames[f] << " of \"" << key << "\"";
    }
  }
}

TEST(NutcrackerHash, NamesAreCaseInsensitiveAndCheckd) {
  ASSERT_TRUE(ParseNutcrackerHash("FNV1A_64").ok());
  EXPECT_EQ(ParseNutcrackerHash("FNV1A_64").value(), NutcrackerHashKind::kFnv1a_64);
  Result<NutcrackerHashKind> bad = ParseNutcrackerHash("sha1");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("sha1"), std::string::npos);
  EXPECT_FALSE(NutcrackerHash("nope", "key").ok());
}

TEST(NutcrackerHash, HsiehIsStableAndZeroOnEmpty) {
  EXPECT_EQ(NutcrackerHash(NutcrackerHashKind::kHsieh, ""), 0u);
  EXPECT_EQ(NutcrackerHash(NutcrackerHashKind::kHsieh, "abc"),
            NutcrackerHash(NutcrackerHashKind::kHsieh, "abc"));
  EXPECT_NE(NutcrackerHash(NutcrackerHashKind::kHsieh, "abc"),
            NutcrackerHash(NutcrackerHashKind::kHsieh, "abd"));
}

}  // namespace
}  // namespace memfleet::router::hash
