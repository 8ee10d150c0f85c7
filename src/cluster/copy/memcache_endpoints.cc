#include "cluster/copy/memcache_endpoints.h"

#include <chrono>
#include <thread>

#include "protocol/key.h"
#include "protocol/meta/client.h"
#include "protocol/meta/meta.h"
#include "protocol/meta/vocabulary.h"
#include "protocol/model.h"
#include "protocol/text/vocabulary.h"

namespace memfleet::cluster {
namespace {

namespace tv = protocol::text;

// "lru_crawler metadump all": the words memcached's protocol.txt gives the dump of every class.
constexpr std::string_view kMetadumpArgs = " metadump all";
constexpr std::string_view kBusyPrefix = "BUSY";
constexpr std::string_view kErrorPrefix = "ERROR";
// The longest metadump line memcached writes is far shorter (a 250-byte key encodes to 750).
constexpr size_t kMaxDumpLine = 4096;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Reads until one whole meta reply (value included) is at the front of conn's buffer.
Status ReadReply(BlockingConnection& conn, protocol::Op op, protocol::Result* r, size_t* used) {
  for (;;) {
    protocol::ReplyParse p = protocol::meta::ParseReply(conn.buffer(), op, r);
    if (p.status == protocol::ReplyStatus::kOk) {
      *used = p.consumed;
      return Status::Ok();
    }
    if (p.status == protocol::ReplyStatus::kMalformed) {
      return Status::IoError(conn.address() + ": a reply that does not parse");
    }
    Status s = conn.ReadMore();
    if (!s.ok()) return s;
  }
}

}  // namespace

bool ParseMetadumpKey(std::string_view line, std::string* key) {
  if (!line.starts_with(tv::kDumpKey)) return false;
  line.remove_prefix(tv::kDumpKey.size());
  const size_t end = line.find(' ');
  std::string_view enc = line.substr(0, end);
  key->clear();
  for (size_t i = 0; i < enc.size(); ++i) {
    if (enc[i] != '%') {
      key->push_back(enc[i]);
      continue;
    }
    if (i + 2 >= enc.size()) return false;
    const int hi = HexValue(enc[i + 1]);
    const int lo = HexValue(enc[i + 2]);
    if (hi < 0 || lo < 0) return false;
    key->push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return protocol::KeyLengthOk(*key);
}

Status MetadumpLister::Start() {
  const int64_t deadline = NowMs() + busy_retry_ms_;
  for (;;) {
    std::string cmd(tv::kCommandLruCrawler);
    cmd.append(kMetadumpArgs);
    cmd.append(tv::kCrlf);
    Status s = conn_->SendAll(cmd);
    if (!s.ok()) return s;
    // The first line tells a dump from a refusal.
    for (;;) {
      std::string_view buf = conn_->buffer();
      const size_t nl = buf.find('\n');
      if (nl != std::string_view::npos) break;
      if (buf.size() > kMaxDumpLine) return Status::IoError(conn_->address() + ": bad dump line");
      s = conn_->ReadMore();
      if (!s.ok()) return s;
    }
    std::string_view buf = conn_->buffer();
    if (!buf.starts_with(kBusyPrefix)) break;
    conn_->Consume(buf.find('\n') + 1);
    if (NowMs() >= deadline) return Status::IoError(conn_->address() + ": the LRU crawler is busy");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  started_ = true;
  return Status::Ok();
}

Status MetadumpLister::Next(size_t max, std::vector<std::string>* keys, bool* done) {
  keys->clear();
  *done = ended_;
  if (ended_) return Status::Ok();
  if (!started_) {
    Status s = Start();
    if (!s.ok()) return s;
  }
  std::string key;
  while (keys->size() < max) {
    std::string_view buf = conn_->buffer();
    const size_t nl = buf.find('\n');
    if (nl == std::string_view::npos) {
      if (buf.size() > kMaxDumpLine) return Status::IoError(conn_->address() + ": bad dump line");
      Status s = conn_->ReadMore();
      if (!s.ok()) return s;
      continue;
    }
    std::string_view line = buf.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line == tv::kReplyEnd.substr(0, tv::kReplyEnd.size() - 2)) {
      conn_->Consume(nl + 1);
      ended_ = true;
      *done = true;
      return Status::Ok();
    }
    if (line.starts_with(kErrorPrefix) || line.starts_with("CLIENT_ERROR") ||
        line.starts_with("SERVER_ERROR")) {
      return Status::IoError(conn_->address() + ": metadump refused: " + std::string(line));
    }
    if (ParseMetadumpKey(line, &key)) keys->push_back(key);
    conn_->Consume(nl + 1);
  }
  return Status::Ok();
}

Status MetaItemReader::Fetch(const std::vector<std::string>& keys,
                             const std::function<Status(const CopyItem&)>& on_item) {
  namespace mv = protocol::meta;
  out_.clear();
  std::string b64;
  static constexpr std::string_view kTokens[] = {"v", "f", "t"};
  static constexpr std::string_view kTokensB64[] = {"v", "f", "t", "b"};
  for (const std::string& k : keys) {
    protocol::Request req;
    req.op = protocol::Op::kGet;
    req.protocol = protocol::Protocol::kMeta;
    if (protocol::KeyIsTextSafe(k)) {
      req.key = k;
      req.meta.tokens = kTokens;
    } else {
      b64.resize(mv::Base64EncodedSize(k.size()));
      b64.resize(mv::Base64Encode(k, b64.data()));
      req.key = b64;
      req.meta.tokens = kTokensB64;
      req.meta.base64_key = true;
    }
    mv::ComposeRequest(req, &out_);
  }
  Status s = conn_->SendAll(out_);
  if (!s.ok()) return s;
  for (const std::string& k : keys) {
    protocol::Result r;
    size_t used = 0;
    s = ReadReply(*conn_, protocol::Op::kGet, &r, &used);
    if (!s.ok()) return s;
    Status item_status = Status::Ok();
    if (r.code == protocol::ResultCode::kFound && r.has_value) {
      CopyItem item;
      item.key = k;
      item.value = r.value;
      item.flags = r.has_flags ? r.client_flags : 0;
      item.ttl = r.has_ttl ? r.ttl : -1;
      item_status = on_item(item);
    } else if (protocol::IsError(r.code)) {
      item_status = Status::IoError(conn_->address() + ": mg answered an error");
    }
    conn_->Consume(used);
    if (!item_status.ok()) return item_status;
  }
  return Status::Ok();
}

Status MetaItemWriter::Add(const CopyItem& item, int64_t exptime) {
  protocol::Request req;
  req.op = protocol::Op::kAdd;
  req.protocol = protocol::Protocol::kText;  // translated: ms ... ME, base64 when needed
  req.key = item.key;
  req.client_flags = item.flags;
  req.exptime = exptime;
  req.value = item.value;
  req.value_length = static_cast<uint32_t>(item.value.size());
  protocol::meta::ComposeRequest(req, &out_);
  ++unanswered_;
  return Status::Ok();
}

Status MetaItemWriter::Flush(AddOutcomes* out) {
  if (!out_.empty()) {
    Status s = conn_->SendAll(out_);
    out_.clear();
    if (!s.ok()) return s;
  }
  while (unanswered_ > 0) {
    protocol::Result r;
    size_t used = 0;
    Status s = ReadReply(*conn_, protocol::Op::kAdd, &r, &used);
    if (!s.ok()) return s;
    conn_->Consume(used);
    --unanswered_;
    if (r.code == protocol::ResultCode::kStored) {
      ++out->added;
    } else if (r.code == protocol::ResultCode::kNotStored ||
               r.code == protocol::ResultCode::kExists) {
      ++out->existed;
    } else {
      ++out->refused;
    }
  }
  return Status::Ok();
}

Status CopyBetween(KeyCopier& copier, std::string_view source, std::string_view target,
                   int timeout_ms) {
  auto dump = BlockingConnection::Connect(source, timeout_ms);
  if (!dump.ok()) return dump.status();
  auto fetch = BlockingConnection::Connect(source, timeout_ms);
  if (!fetch.ok()) return fetch.status();
  auto store = BlockingConnection::Connect(target, timeout_ms);
  if (!store.ok()) return store.status();
  MetadumpLister lister(std::move(dump.value()));
  MetaItemReader reader(std::move(fetch.value()));
  MetaItemWriter writer(std::move(store.value()));
  return copier.Run(lister, reader, writer);
}

}  // namespace memfleet::cluster
