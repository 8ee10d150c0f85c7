// The KeyCopier's roles (key_copier.h) over real memcached-protocol servers — memfleetd and
// memcached alike — each on a BlockingConnection of its own:
//  - MetadumpLister: `lru_crawler metadump all` on a connection that carries nothing else (both
//    servers refuse a dump pipelined behind other commands), read a batch of lines at a time so
//    that the server waits (TCP backpressure) while the batch is copied. A BUSY answer (the
//    crawler is running for someone else) is retried for a bounded time.
//  - MetaItemReader: `mg <key> v f t` (a key text cannot carry goes base64 with b), pipelined
//    per batch.
//  - MetaItemWriter: `ms <key> <len> F<flags> T<exptime> ME` (add: never overwrites), pipelined;
//    replies are read at Flush.
// Every request is composed and every reply parsed by the protocol library. One thread uses
// them (the copier's).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/copy/blocking_connection.h"
#include "cluster/copy/key_copier.h"

namespace memfleet::cluster {

// One line of `lru_crawler metadump` ("key=<uriencoded> exp=... ...", without its "\n"): the
// key, decoded, into *key. False for a line that is not one.
bool ParseMetadumpKey(std::string_view line, std::string* key);

class MetadumpLister final : public KeyLister {
 public:
  // busy_retry_ms: how long a BUSY crawler is retried before the listing fails.
  MetadumpLister(std::unique_ptr<BlockingConnection> conn, int64_t busy_retry_ms = 10000)
      : conn_(std::move(conn)), busy_retry_ms_(busy_retry_ms) {}
  Status Next(size_t max, std::vector<std::string>* keys, bool* done) override;

 private:
  Status Start();
  std::unique_ptr<BlockingConnection> conn_;
  int64_t busy_retry_ms_;
  bool started_ = false;
  bool ended_ = false;
};

class MetaItemReader final : public ItemReader {
 public:
  explicit MetaItemReader(std::unique_ptr<BlockingConnection> conn) : conn_(std::move(conn)) {}
  Status Fetch(const std::vector<std::string>& keys,
               const std::function<Status(const CopyItem&)>& on_item) override;

 private:
  std::unique_ptr<BlockingConnection> conn_;
  std::string out_;
};

class MetaItemWriter final : public ItemWriter {
 public:
  explicit MetaItemWriter(std::unique_ptr<BlockingConnection> conn) : conn_(std::move(conn)) {}
  Status Add(const CopyItem& item, int64_t exptime) override;
  size_t pending_bytes() const override { return out_.size(); }
  Status Flush(AddOutcomes* out) override;

 private:
  std::unique_ptr<BlockingConnection> conn_;
  std::string out_;
  size_t unanswered_ = 0;  // adds sent (or queued) whose replies are not read
};

// Connects the three roles for a copy from source to target (addresses as BlockingConnection
// takes them) and runs copier over them.
Status CopyBetween(KeyCopier& copier, std::string_view source, std::string_view target,
                   int timeout_ms);

}  // namespace memfleet::cluster
