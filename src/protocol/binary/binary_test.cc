#include "protocol/binary/binary.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace memfleet::protocol::binary {
namespace {

std::string Frame(uint8_t opcode, std::string_view key = {}, std::string_view extras = {},
                  std::string_view value = {}, uint32_t opaque = 0, uint64_t cas = 0,
                  int64_t body_override = -1) {
  Header h;
  h.opcode = opcode;
  h.key_length = static_cast<uint16_t>(key.size());
  h.extras_length = static_cast<uint8_t>(extras.size());
  h.body_length = body_override >= 0
                      ? static_cast<uint32_t>(body_override)
                      : static_cast<uint32_t>(extras.size() + key.size() + value.size());
  h.opaque = opaque;
  h.cas = cas;
  std::string out(kHeaderSize, '\0');
  EncodeHeader(h, out.data());
  out.append(extras);
  out.append(key);
  out.append(value);
  return out;
}

std::string Be32(uint32_t v) {
  std::string s(4, '\0');
  StoreBe32(s.data(), v);
  return s;
}

std::string Be64(uint64_t v) {
  std::string s(8, '\0');
  StoreBe64(s.data(), v);
  return s;
}

TEST(BinaryHeader, EncodeDecodeRoundTripBigEndian) {
  Header h;
  h.opcode = 0x01;
  h.key_length = 0x0102;
  h.extras_length = 8;
  h.data_type = 0;
  h.vbucket_or_status = 0x0304;
  h.body_length = 0x05060708;
  h.opaque = 0x090a0b0c;
  h.cas = 0x0102030405060708ull;
  char buf[kHeaderSize];
  EncodeHeader(h, buf);
  EXPECT_EQ(static_cast<uint8_t>(buf[0]), kRequestMagic);
  EXPECT_EQ(buf[2], 0x01);
  EXPECT_EQ(buf[3], 0x02);
  EXPECT_EQ(buf[8], 0x05);
  EXPECT_EQ(buf[23], 0x08);
  Header d = DecodeHeader(buf);
  EXPECT_EQ(d.key_length, h.key_length);
  EXPECT_EQ(d.vbucket_or_status, h.vbucket_or_status);
  EXPECT_EQ(d.body_length, h.body_length);
  EXPECT_EQ(d.opaque, h.opaque);
  EXPECT_EQ(d.cas, h.cas);
}

TEST(BinaryParse, SetRequestFields) {
  std::string f = Frame(0x01, "key", Be32(7) + Be32(100), "value", 42, 9);
  Request req;
  ParseResult r = ParseRequest(f, &req);
  ASSERT_EQ(r.status, ParseStatus::kOk);
  EXPECT_EQ(r.consumed, kHeaderSize + 8 + 3);
  EXPECT_EQ(req.key, "key");
  EXPECT_EQ(req.value_length, 5u);
  EXPECT_EQ(req.header.opaque, 42u);
  EXPECT_EQ(req.header.cas, 9u);
  StoreExtras e = DecodeStoreExtras(req.extras);
  EXPECT_EQ(e.flags, 7u);
  EXPECT_EQ(e.exptime, 100u);
  EXPECT_EQ(CheckRequestShape(req), Status::kSuccess);
}

TEST(BinaryParse, EverySplitPointIsIncompleteUntilKeyIsIn) {
  std::string f = Frame(0x05, "counter", Be64(3) + Be64(10) + Be32(kNoCreate));
  for (size_t n = 0; n < f.size(); ++n) {
    Request req;
    EXPECT_EQ(ParseRequest(std::string_view(f.data(), n), &req).status, ParseStatus::kIncomplete)
        << n;
  }
  Request req;
  ParseResult r = ParseRequest(f, &req);
  ASSERT_EQ(r.status, ParseStatus::kOk);
  DeltaExtras d = DecodeDeltaExtras(req.extras);
  EXPECT_EQ(d.delta, 3u);
  EXPECT_EQ(d.initial, 10u);
  EXPECT_EQ(d.exptime, kNoCreate);
}

TEST(BinaryParse, ValueIsNotConsumed) {
  std::string f = Frame(0x0e, "k", {}, "appended");
  // Complete as soon as the key is in, whatever part of the value has arrived.
  for (size_t n = kHeaderSize + 1; n <= f.size(); ++n) {
    Request req;
    ParseResult r = ParseRequest(std::string_view(f.data(), n), &req);
    ASSERT_EQ(r.status, ParseStatus::kOk) << n;
    EXPECT_EQ(r.consumed, kHeaderSize + 1);
    EXPECT_EQ(req.value_length, 8u);
  }
}

TEST(BinaryParse, BadMagicNeedsAWholeHeader) {
  std::string f = Frame(0x00, "k");
  f[0] = static_cast<char>(0x81);
  Request req;
  EXPECT_EQ(ParseRequest(std::string_view(f.data(), kHeaderSize - 1), &req).status,
            ParseStatus::kIncomplete);
  EXPECT_EQ(ParseRequest(f, &req).status, ParseStatus::kBadMagic);
  EXPECT_EQ(ParseRequest("get foo\r\nget foo\r\nget foo\r\n", &req).status, ParseStatus::kBadMagic);
}

TEST(BinaryParse, KeyPastBody) {
  Request req;
  std::string f = Frame(0x00, "key", {}, {}, 0, 0, /*body=*/2);
  ParseResult r = ParseRequest(f, &req);
  EXPECT_EQ(r.status, ParseStatus::kKeyPastBody);
  EXPECT_EQ(r.consumed, kHeaderSize);
  f = Frame(0x01, "k", Be32(0) + Be32(0), {}, 0, 0, /*body=*/8);
  EXPECT_EQ(ParseRequest(f, &req).status, ParseStatus::kKeyPastBody);
  // Even a 64 KiB key is judged from the header alone.
  Header h;
  h.key_length = 0xffff;
  h.body_length = 10;
  char buf[kHeaderSize];
  EncodeHeader(h, buf);
  EXPECT_EQ(ParseRequest(std::string_view(buf, kHeaderSize), &req).status,
            ParseStatus::kKeyPastBody);
}

TEST(BinaryOpcodes, QuietVariantsMapToTheirBase) {
  struct Case {
    uint8_t op;
    Opcode base;
    bool quiet;
  };
  const Case cases[] = {
      {0x00, Opcode::kGet, false},           {0x09, Opcode::kGet, true},
      {0x0c, Opcode::kGetK, false},          {0x0d, Opcode::kGetK, true},
      {0x01, Opcode::kSet, false},           {0x11, Opcode::kSet, true},
      {0x02, Opcode::kAdd, false},           {0x12, Opcode::kAdd, true},
      {0x03, Opcode::kReplace, false},       {0x13, Opcode::kReplace, true},
      {0x04, Opcode::kDelete, false},        {0x14, Opcode::kDelete, true},
      {0x05, Opcode::kIncrement, false},     {0x15, Opcode::kIncrement, true},
      {0x06, Opcode::kDecrement, false},     {0x16, Opcode::kDecrement, true},
      {0x07, Opcode::kQuit, false},          {0x17, Opcode::kQuit, true},
      {0x08, Opcode::kFlush, false},         {0x18, Opcode::kFlush, true},
      {0x0e, Opcode::kAppend, false},        {0x19, Opcode::kAppend, true},
      {0x0f, Opcode::kPrepend, false},       {0x1a, Opcode::kPrepend, true},
      {0x1d, Opcode::kGat, false},           {0x1e, Opcode::kGat, true},
      {0x23, Opcode::kGatK, false},          {0x24, Opcode::kGatK, true},
      {0x0a, Opcode::kNoop, false},          {0x0b, Opcode::kVersion, false},
      {0x10, Opcode::kStat, false},          {0x1c, Opcode::kTouch, false},
      {0x20, Opcode::kSaslListMechs, false}, {0x21, Opcode::kSaslAuth, false},
      {0x22, Opcode::kSaslStep, false},
  };
  for (const Case& c : cases) {
    OpcodeInfo info = DescribeOpcode(c.op);
    EXPECT_TRUE(info.known) << int{c.op};
    EXPECT_EQ(info.base, c.base) << int{c.op};
    EXPECT_EQ(info.quiet, c.quiet) << int{c.op};
  }
  int known = 0;
  for (int op = 0; op < 256; ++op) known += DescribeOpcode(static_cast<uint8_t>(op)).known;
  EXPECT_EQ(known, static_cast<int>(std::size(cases)));
  EXPECT_FALSE(DescribeOpcode(0x1b).known);  // GETS is not implemented by memcached
  EXPECT_FALSE(DescribeOpcode(0x55).known);
}

Status Shape(uint8_t op, std::string_view key, std::string_view extras, std::string_view value) {
  std::string f = Frame(op, key, extras, value);
  Request req;
  if (ParseRequest(f, &req).status != ParseStatus::kOk) return Status::kUnknownCommand;
  return CheckRequestShape(req);
}

TEST(BinaryShape, MemcachedRulesPerOpcode) {
  const std::string e4(4, 'e'), e8(8, 'e'), e20(20, 'e');
  struct Case {
    uint8_t op;
    std::string key, extras, value;
    bool ok;
  };
  const Case cases[] = {
      {0x00, "k", "", "", true},    {0x00, "", "", "", false},       {0x00, "k", e4, "", false},
      {0x00, "k", "", "v", false},  {0x09, "k", "", "", true},       {0x0d, "k", "", "", true},
      {0x01, "k", e8, "v", true},   {0x01, "k", e8, "", true},       {0x01, "", e8, "v", false},
      {0x01, "k", e4, "v", false},  {0x11, "k", "", "v", false},     {0x02, "k", e8, "v", true},
      {0x03, "k", e8, "v", true},   {0x04, "k", "", "", true},       {0x04, "k", e4, "", false},
      {0x04, "k", "", "v", false},  {0x04, "", "", "", false},       {0x05, "k", e20, "", true},
      {0x06, "k", e20, "v", false}, {0x15, "k", e8, "", false},      {0x05, "", e20, "", false},
      {0x07, "", "", "", true},     {0x07, "k", "", "", false},      {0x17, "", "", "v", false},
      {0x08, "", "", "", true},     {0x08, "", e4, "", true},        {0x08, "", e8, "", false},
      {0x08, "k", "", "", false},   {0x18, "", e4, "v", false},      {0x0a, "", "", "", true},
      {0x0a, "", "", "v", false},   {0x0b, "", "", "", true},        {0x0b, "k", "", "", false},
      {0x0e, "k", "", "v", true},   {0x0e, "k", e4, "v", false},     {0x0f, "", "", "v", false},
      {0x10, "", "", "", true},     {0x10, "items", "", "", true},   {0x10, "", e4, "", false},
      {0x1c, "k", e4, "", true},    {0x1c, "k", "", "", false},      {0x1d, "k", e4, "", true},
      {0x1e, "", e4, "", false},    {0x23, "k", e8, "", false},      {0x24, "k", e4, "", true},
      {0x20, "", "", "", true},     {0x20, "PLAIN", "", "", false},  {0x21, "PLAIN", "", "x", true},
      {0x21, "", "", "x", false},   {0x22, "PLAIN", e4, "x", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Shape(c.op, c.key, c.extras, c.value) == Status::kSuccess, c.ok)
        << "op " << int{c.op} << " key " << c.key.size() << " extras " << c.extras.size()
        << " value " << c.value.size();
  }
}

TEST(BinaryCompose, ResponseHeaderAndErrorTexts) {
  char buf[kHeaderSize];
  EncodeResponseHeader(buf, 0x0c, Status::kKeyNotFound, 3, 4, 20, 0xaabbccdd, 77);
  Header h = DecodeHeader(buf);
  EXPECT_EQ(h.magic, kResponseMagic);
  EXPECT_EQ(h.opcode, 0x0c);
  EXPECT_EQ(h.vbucket_or_status, 1);
  EXPECT_EQ(h.key_length, 3);
  EXPECT_EQ(h.extras_length, 4);
  EXPECT_EQ(h.body_length, 20u);
  EXPECT_EQ(h.opaque, 0xaabbccddu);
  EXPECT_EQ(h.cas, 77u);
  EXPECT_EQ(StatusText(Status::kKeyNotFound), "Not found");
  EXPECT_EQ(StatusText(Status::kKeyExists), "Data exists for key.");
  EXPECT_EQ(StatusText(Status::kTooLarge), "Too large.");
  EXPECT_EQ(StatusText(Status::kInvalidArguments), "Invalid arguments");
  EXPECT_EQ(StatusText(Status::kNotStored), "Not stored.");
  EXPECT_EQ(StatusText(Status::kDeltaBadValue), "Non-numeric server-side value for incr or decr");
  EXPECT_EQ(StatusText(Status::kAuthError), "Auth failure.");
  EXPECT_EQ(StatusText(Status::kUnknownCommand), "Unknown command");
  EXPECT_EQ(StatusText(Status::kOutOfMemory), "Out of memory");
  EXPECT_EQ(StatusText(Status::kSuccess), "");
}

TEST(BinaryParse, PipelineOfRequestsConsumedInOrder) {
  std::string buf = Frame(0x09, "a", {}, {}, 1) + Frame(0x0d, "bb", {}, {}, 2) + Frame(0x0a);
  std::vector<uint32_t> opaques;
  std::string_view rest = buf;
  while (!rest.empty()) {
    Request req;
    ParseResult r = ParseRequest(rest, &req);
    ASSERT_EQ(r.status, ParseStatus::kOk);
    opaques.push_back(req.header.opaque);
    rest.remove_prefix(r.consumed + req.value_length);
  }
  EXPECT_EQ(opaques, (std::vector<uint32_t>{1, 2, 0}));
}

TEST(BinaryExtras, ShortExtrasDecodeAsZero) {
  EXPECT_EQ(DecodeExptimeExtras({}), 0u);
  EXPECT_EQ(DecodeStoreExtras({}).flags, 0u);
  EXPECT_EQ(DecodeDeltaExtras({}).delta, 0u);
  std::string e = Be32(123);
  EXPECT_EQ(DecodeExptimeExtras(std::span<const char>(e.data(), e.size())), 123u);
}

}  // namespace
}  // namespace memfleet::protocol::binary
