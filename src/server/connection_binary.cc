// Binary protocol for Connection (see connection.h), following memcached 1.6.18's proto_bin.c:
// the same validation order (key past body, authentication, key length, per-opcode shape), the
// same status codes and error texts, the same stats counters. Errors that memcached answers by
// closing the connection (bad magic, a malformed request) close it here too.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "protocol/binary/binary.h"
#include "protocol/binary/response.h"
#include "protocol/binary/sasl.h"
#include "protocol/text/reply.h"
#include "server/binary_state.h"
#include "server/command_line.h"
#include "server/connection.h"
#include "server/server.h"
#include "server/settings_stats.h"
#include "server/worker.h"

namespace memfleet::server {

namespace bin = protocol::binary;
using bin::Opcode;
using bin::Status;

namespace {

// Values up to this size are copied into the output buffer; larger ones are sent from item memory.
constexpr uint32_t kCopyValueLimit = 16 * 1024;
// A SASL message larger than this is refused (PLAIN needs a few hundred bytes at most).
constexpr uint32_t kMaxSaslMessage = 8192;

}  // namespace

// The execution of one parsed request; a friend of Connection (see connection.h).
class BinaryCommands {
 public:
  BinaryCommands(Connection& c, const bin::Request& req)
      : c_(c), req_(req), info_(bin::DescribeOpcode(req.header.opcode)) {}

  // Executes req_. Returns false when the request needs bytes beyond the parsed prefix that are
  // not in the buffer yet (SASL data): nothing was consumed and the caller waits for more.
  bool Execute();
  void FinishStore(bool data_ok);
  // Key and extras longer than the body: memcached answers UNKNOWN_COMMAND and closes.
  void RejectKeyPastBody() { ErrorAndClose(Status::kUnknownCommand); }

 private:
  // Each of these queues one response packet for req_, laid out by protocol/binary/response.h.
  // A success without a body (whatever the request's quietness).
  void Empty(uint64_t cas);
  // A success whose body is `key` then `value` (a stats packet; version and SASL: no key).
  void KeyValue(std::string_view key, std::string_view value);
  void Success(uint64_t cas = 0) {
    if (!info_.quiet) Empty(cas);
  }
  // Errors are sent even for quiet requests, as memcached does.
  void Error(Status st);
  // getk/gatk miss: the key as the body, no text.
  void KeyMiss();
  // incr/decr success: the new value.
  void DeltaValue(uint64_t value, uint64_t cas);
  void ErrorAndClose(Status st) {
    Error(st);
    c_.close_after_write_ = true;
  }
  void Swallow(size_t n) {
    if (n == 0) return;
    c_.swallow_left_ = n;
    c_.in_state_ = Connection::InState::kSwallow;
  }

  void Get();
  void Store();
  void Delete();
  void Delta();
  void Flush();
  void Stat();
  bool Sasl();
  void SendItem(storage::ItemRef item, bool with_key, bool with_value);

  Connection& c_;
  const bin::Request& req_;
  bin::OpcodeInfo info_;
};

void BinaryCommands::Empty(uint64_t cas) {
  char* p = c_.out_.Reserve(bin::kEmptyResponseSize);
  c_.out_.Commit(bin::EncodeEmptyResponse(p, req_.header.opcode, req_.header.opaque, cas));
}

void BinaryCommands::KeyValue(std::string_view key, std::string_view value) {
  char* p = c_.out_.Reserve(bin::kHeaderSize + key.size() + value.size());
  size_t n = bin::EncodeKeyValueResponseHead(p, req_.header.opcode, req_.header.opaque, key,
                                             static_cast<uint32_t>(value.size()));
  if (!value.empty()) memcpy(p + n, value.data(), value.size());
  c_.out_.Commit(n + value.size());
}

void BinaryCommands::Error(Status st) {
  char* p = c_.out_.Reserve(bin::kMaxErrorResponseSize);
  c_.out_.Commit(
      bin::EncodeErrorResponse(p, req_.header.opcode, req_.header.opaque, st, bin::StatusText(st)));
}

void BinaryCommands::KeyMiss() {
  char* p = c_.out_.Reserve(bin::kHeaderSize + req_.key.size());
  c_.out_.Commit(bin::EncodeKeyMissResponse(p, req_.header.opcode, req_.header.opaque, req_.key));
}

void BinaryCommands::DeltaValue(uint64_t value, uint64_t cas) {
  char* p = c_.out_.Reserve(bin::kDeltaResponseSize);
  c_.out_.Commit(bin::EncodeDeltaResponse(p, req_.header.opcode, req_.header.opaque, cas, value));
}

bool BinaryCommands::Execute() {
  const bin::Header& h = req_.header;
  const Settings& settings = c_.server_->settings();
  if (settings.sasl && !c_.authenticated_) {
    switch (info_.base) {
      case Opcode::kSaslListMechs:
      case Opcode::kSaslAuth:
      case Opcode::kSaslStep:
      case Opcode::kVersion:
        break;
      default:
        ErrorAndClose(Status::kAuthError);
        return true;
    }
  }
  // The protocol allows 16-bit keys; memcached (and the engine) stop at 250 bytes.
  if (h.key_length > bin::kKeyMaxLength) {
    ErrorAndClose(Status::kInvalidArguments);
    return true;
  }
  if (!info_.known) {
    // memcached swallows body_length bytes after the key here, eating into the next request;
    // memfleetd swallows exactly the rest of this request (docs/compatibility.md).
    Error(Status::kUnknownCommand);
    Swallow(req_.value_length);
    return true;
  }
  if (bin::CheckRequestShape(req_) != Status::kSuccess) {
    ErrorAndClose(Status::kInvalidArguments);
    return true;
  }
  switch (info_.base) {
    case Opcode::kVersion:
      KeyValue({}, kVersion);
      return true;
    case Opcode::kNoop:
      Empty(0);
      return true;
    case Opcode::kQuit:
      Success();
      c_.close_after_write_ = true;
      return true;
    case Opcode::kFlush:
      Flush();
      return true;
    case Opcode::kGet:
    case Opcode::kGetK:
    case Opcode::kTouch:
    case Opcode::kGat:
    case Opcode::kGatK:
      Get();
      return true;
    case Opcode::kSet:
    case Opcode::kAdd:
    case Opcode::kReplace:
    case Opcode::kAppend:
    case Opcode::kPrepend:
      Store();
      return true;
    case Opcode::kDelete:
      Delete();
      return true;
    case Opcode::kIncrement:
    case Opcode::kDecrement:
      Delta();
      return true;
    case Opcode::kStat:
      Stat();
      Swallow(req_.value_length);
      return true;
    case Opcode::kSaslListMechs:
      if (!settings.sasl) {
        Error(Status::kUnknownCommand);
      } else {
        KeyValue({}, bin::kSaslMechList);
      }
      return true;
    case Opcode::kSaslAuth:
    case Opcode::kSaslStep:
      return Sasl();
    default:
      Error(Status::kUnknownCommand);
      Swallow(req_.value_length);
      return true;
  }
}

void BinaryCommands::SendItem(storage::ItemRef item, bool with_key, bool with_value) {
  uint32_t len = with_value ? item.value_length() : 0;
  std::string_view key = with_key ? req_.key : std::string_view();
  bool copy = len <= kCopyValueLimit && !item.chunked();
  char* p = c_.out_.Reserve(bin::kHeaderSize + bin::kGetExtrasSize + key.size() + (copy ? len : 0));
  const size_t head = bin::EncodeGetResponse(p, req_.header.opcode, req_.header.opaque, item.cas(),
                                             item.client_flags(), key, len);
  if (len == 0) {
    c_.out_.Commit(head);
    return;
  }
  if (copy) {
    memcpy(p + head, item.value().data(), len);
    c_.out_.Commit(head + len);
    return;
  }
  c_.out_.Commit(head);
  if (item.chunked()) {
    std::vector<std::span<const char>> pieces;
    item.ForEachSegment([&](std::span<const char> s) { pieces.push_back(s); });
    for (std::span<const char> s : pieces) c_.out_.AppendExternal(s.data(), s.size());
    c_.out_.AppendPinned(nullptr, 0, PinItem(std::move(item)));
  } else {
    std::span<const char> v = item.value();
    c_.out_.AppendPinned(v.data(), v.size(), PinItem(std::move(item)));
  }
}

void BinaryCommands::Get() {
  bool touch =
      info_.base == Opcode::kTouch || info_.base == Opcode::kGat || info_.base == Opcode::kGatK;
  bool with_key = info_.base == Opcode::kGetK || info_.base == Opcode::kGatK;
  storage::Session& session = c_.worker_->session();
  storage::ItemRef item;
  if (touch) {
    RelTime exptime = c_.server_->clock().FromExptime(bin::DecodeExptimeExtras(req_.extras));
    item = c_.engine_->GetAndTouch(session, req_.key, exptime);
    c_.worker_->stats().cmd_touch.Add();
  } else {
    item = c_.engine_->Get(session, req_.key);
    c_.worker_->stats().cmd_get.Add();
  }
  bool hit = static_cast<bool>(item);
  if (c_.server_->detail_enabled()) c_.server_->RecordPrefix(req_.key, true, hit, false, false);
  if (hit) {
    SendItem(std::move(item), with_key, info_.base != Opcode::kTouch);
    return;
  }
  if (info_.quiet) return;
  if (with_key) {
    KeyMiss();
  } else {
    Error(Status::kKeyNotFound);
  }
}

void BinaryCommands::Store() {
  storage::Session& session = c_.worker_->session();
  bool append = info_.base == Opcode::kAppend || info_.base == Opcode::kPrepend;
  bin::StoreExtras ex = append ? bin::StoreExtras{} : bin::DecodeStoreExtras(req_.extras);
  storage::StoreOp op = storage::StoreOp::kSet;
  switch (info_.base) {
    case Opcode::kAdd:
      op = storage::StoreOp::kAdd;
      break;
    case Opcode::kReplace:
      op = storage::StoreOp::kReplace;
      break;
    case Opcode::kAppend:
      op = storage::StoreOp::kAppend;
      break;
    case Opcode::kPrepend:
      op = storage::StoreOp::kPrepend;
      break;
    default:
      break;
  }
  // A cas in the header turns set/add/replace into a compare-and-swap (memcached's NREAD_CAS).
  if (!append && req_.header.cas != 0) op = storage::StoreOp::kCas;
  if (c_.server_->detail_enabled()) c_.server_->RecordPrefix(req_.key, false, false, true, false);
  RelTime exptime = append ? 0 : c_.server_->clock().FromExptime(ex.exptime);
  storage::AllocResult ar = c_.engine_->Allocate(session, req_.key, ex.flags, exptime,
                                                 req_.value_length, &c_.pending_item_);
  if (ar != storage::AllocResult::kOk) {
    if (ar == storage::AllocResult::kTooLarge) {
      c_.worker_->stats().store_too_large.Add();
      Error(Status::kTooLarge);
    } else {
      c_.worker_->stats().store_no_memory.Add();
      Error(Status::kOutOfMemory);
    }
    // A failed set must not leave the old value behind (memcached does the same).
    if (info_.base == Opcode::kSet) c_.engine_->Unlink(session, req_.key);
    Swallow(req_.value_length);
    return;
  }
  c_.binary_->store_header = req_.header;
  c_.binary_->store_quiet = info_.quiet;
  c_.pending_kind_ = Connection::PendingKind::kBinary;
  c_.pending_op_ = op;
  c_.pending_cas_ = req_.header.cas;
  c_.writer_.emplace(c_.pending_item_);
  c_.value_left_ = req_.value_length;
  // Binary values have no "\r\n" after them: mark the terminator as already read and good.
  c_.crlf_[0] = '\r';
  c_.crlf_[1] = '\n';
  c_.crlf_got_ = 2;
  c_.in_state_ = Connection::InState::kValue;
}

void BinaryCommands::FinishStore(bool data_ok) {
  storage::ItemRef item = std::move(c_.pending_item_);
  if (!data_ok) return;  // cannot happen: binary stores have no terminator to check
  uint64_t cas = 0;
  storage::StoreResult r =
      c_.engine_->Store(c_.worker_->session(), c_.pending_op_, item, c_.pending_cas_, &cas);
  if (c_.server_->logger().Wants(log_type::kMutations)) c_.LogStore(c_.pending_op_, item, r);
  switch (r) {
    case storage::StoreResult::kStored:
      Success(cas);
      return;
    case storage::StoreResult::kExists:
      Error(Status::kKeyExists);
      return;
    case storage::StoreResult::kNotFound:
      Error(Status::kKeyNotFound);
      return;
    case storage::StoreResult::kNotStored:
    case storage::StoreResult::kNoMemory:
      if (r == storage::StoreResult::kNoMemory) c_.worker_->stats().store_no_memory.Add();
      // memcached reports a failed add as "exists" and a failed replace as "not found".
      if (info_.base == Opcode::kAdd) {
        Error(Status::kKeyExists);
      } else if (info_.base == Opcode::kReplace) {
        Error(Status::kKeyNotFound);
      } else {
        Error(Status::kNotStored);
      }
      return;
  }
}

void BinaryCommands::Delete() {
  storage::DeleteResult r = c_.engine_->Delete(c_.worker_->session(), req_.key, req_.header.cas);
  if (c_.server_->detail_enabled()) c_.server_->RecordPrefix(req_.key, false, false, false, true);
  switch (r) {
    case storage::DeleteResult::kDeleted:
      Success();
      return;
    case storage::DeleteResult::kExists:
      Error(Status::kKeyExists);
      return;
    case storage::DeleteResult::kNotFound:
      Error(Status::kKeyNotFound);
      return;
  }
}

void BinaryCommands::Delta() {
  bin::DeltaExtras ex = bin::DecodeDeltaExtras(req_.extras);
  storage::Session& session = c_.worker_->session();
  storage::DeltaRequest dr;
  dr.key = req_.key;
  dr.incr = info_.base == Opcode::kIncrement;
  dr.delta = ex.delta;
  dr.cas = req_.header.cas;
  storage::DeltaReply d = c_.engine_->Delta(session, dr);
  switch (d.result) {
    case storage::DeltaResult::kOk:
      if (info_.quiet) return;
      DeltaValue(d.value, d.cas);
      return;
    case storage::DeltaResult::kNonNumeric:
      Error(Status::kDeltaBadValue);
      return;
    case storage::DeltaResult::kNoMemory:
      Error(Status::kOutOfMemory);
      return;
    case storage::DeltaResult::kExists:
      Error(Status::kKeyExists);
      return;
    case storage::DeltaResult::kNotFound:
      break;
  }
  if (ex.exptime == bin::kNoCreate) {
    Error(Status::kKeyNotFound);
    return;
  }
  // Create the item with the initial value (memcached: an add of the decimal digits).
  char digits[protocol::text::kUint64MaxDigits];
  size_t n = protocol::text::FormatUint64(digits, ex.initial);
  storage::ItemRef item;
  RelTime exptime = c_.server_->clock().FromExptime(ex.exptime);
  if (c_.engine_->Allocate(session, req_.key, 0, exptime, static_cast<uint32_t>(n), &item) !=
      storage::AllocResult::kOk) {
    Error(Status::kOutOfMemory);
    return;
  }
  storage::ValueWriter(item).Write(digits, n);
  uint64_t cas = 0;
  const storage::StoreResult r = c_.engine_->Store(session, storage::StoreOp::kAdd, item, 0, &cas);
  if (c_.server_->logger().Wants(log_type::kMutations)) {
    c_.LogStore(storage::StoreOp::kAdd, item, r);
  }
  if (r != storage::StoreResult::kStored) {
    Error(Status::kNotStored);
    return;
  }
  if (info_.quiet) return;
  DeltaValue(ex.initial, cas);
}

void BinaryCommands::Flush() {
  if (!c_.server_->settings().flush_enabled) {
    Error(Status::kAuthError);  // memcached's answer to a flush under -F
    return;
  }
  c_.worker_->stats().cmd_flush.Add();
  Clock& clock = c_.server_->clock();
  uint32_t when = bin::DecodeExptimeExtras(req_.extras);
  c_.engine_->FlushAll(when > 0 ? clock.FromExptime(when) : clock.Now());
  Success();
}

void BinaryCommands::Stat() {
  auto sink = [this](std::string_view name, std::string_view value) { KeyValue(name, value); };
  std::string_view sub = req_.key;
  // memcached matches reset, settings and detail by prefix, the others exactly.
  if (sub.empty()) {
    c_.server_->AppendGeneralStats(sink);
  } else if (sub.starts_with("reset")) {
    c_.server_->ResetStats();
  } else if (sub.starts_with("settings")) {
    Settings current = c_.server_->settings();
    current.verbose = c_.server_->verbosity();
    current.detail_enabled = c_.server_->detail_enabled();
    c_.engine_->CurrentRuntimeSettings(&current);
    AppendSettingsStats(current, sink);
  } else if (sub.starts_with("detail")) {
    std::string_view arg = sub.substr(6);
    if (arg.starts_with(" dump")) {
      sink("detailed", c_.server_->DumpPrefixes());
    } else if (arg.starts_with(" on")) {
      c_.server_->set_detail_enabled(true);
    } else if (arg.starts_with(" off")) {
      c_.server_->set_detail_enabled(false);
    } else {
      Error(Status::kKeyNotFound);
      return;
    }
  } else if (sub == "items") {
    c_.engine_->AppendItemsStats(sink);
  } else if (sub == "slabs") {
    c_.engine_->AppendSlabsStats(sink);
  } else if (sub == "sizes") {
    c_.engine_->AppendSizesStats(sink);
  } else {
    Error(Status::kKeyNotFound);
    return;
  }
  Empty(0);  // the empty packet that ends a stats reply
}

bool BinaryCommands::Sasl() {
  const Settings& settings = c_.server_->settings();
  if (!settings.sasl) {
    Error(Status::kUnknownCommand);
    Swallow(req_.value_length);
    return true;
  }
  if (req_.key.size() > bin::kMaxSaslMechLength || req_.value_length > kMaxSaslMessage) {
    Error(Status::kInvalidArguments);
    Swallow(req_.value_length);
    return true;
  }
  // The message follows the key in the read buffer; the caller has already consumed the prefix.
  if (c_.rbuf_.size() < req_.value_length) return false;
  std::string_view message(c_.rbuf_.data(), req_.value_length);
  c_.rbuf_.Consume(req_.value_length);
  WorkerStats& st = c_.worker_->stats();
  st.auth_cmds.Add();
  std::string_view user, password;
  const CredentialStore* store = c_.server_->credentials();
  // PLAIN finishes in one step, so a SASL_STEP never has a started exchange to continue.
  bool ok = info_.base == Opcode::kSaslAuth && req_.key == bin::kSaslMechPlain &&
            store != nullptr && bin::ParseSaslPlain(message, &user, &password) &&
            store->Check(user, password);
  if (!ok) {
    // As in memcached, where a connection is authenticated while its SASL exchange has a user:
    // a failed exchange, even after a successful one, leaves the connection unauthenticated.
    c_.authenticated_ = false;
    st.auth_errors.Add();
    Error(Status::kAuthError);
    return true;
  }
  c_.authenticated_ = true;
  KeyValue({}, bin::kSaslAuthenticated);
  return true;
}

void Connection::ProcessBinaryInput() {
  if (!binary_) binary_ = std::make_unique<BinaryState>();
  while (!closed_ && !close_after_write_) {
    const InputStep step = ContinuePending();
    if (step == InputStep::kStop) break;
    if (step == InputStep::kAgain) continue;
    bin::Request req;
    bin::ParseResult r = bin::ParseRequest(rbuf_.view(), &req);
    if (r.status == bin::ParseStatus::kIncomplete) break;
    if (r.status == bin::ParseStatus::kBadMagic) {
      Close();  // memcached closes without a reply
      return;
    }
    last_cmd_time_.store(server_->clock().Now(), std::memory_order_relaxed);
    if (r.status == bin::ParseStatus::kKeyPastBody) {
      BinaryCommands(*this, req).RejectKeyPastBody();
      return;
    }
    // The request's views point into the read buffer, which is not moved until the next read.
    rbuf_.Consume(r.consumed);
    if (!BinaryCommands(*this, req).Execute()) {
      rbuf_.Unconsume(r.consumed);  // wait for the rest of the request
      break;
    }
  }
}

void Connection::FinishBinaryStore(bool data_ok) {
  bin::Request req;
  req.header = binary_->store_header;
  BinaryCommands(*this, req).FinishStore(data_ok);
}

}  // namespace memfleet::server
