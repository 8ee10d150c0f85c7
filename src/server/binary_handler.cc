// BinaryHandler (see binary_handler.h): the binary commands, executed through a HandlerContext.
#include "server/binary_handler.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "protocol/binary/binary.h"
#include "protocol/binary/response.h"
#include "protocol/binary/sasl.h"
#include "protocol/text/reply.h"
#include "server/command_line.h"
#include "server/item_pin.h"
#include "server/settings_stats.h"

namespace memfleet::server {

namespace bin = protocol::binary;
using bin::Opcode;
using bin::Status;

namespace {

// Values up to this size are copied into the output buffer; larger ones are sent from item memory.
constexpr uint32_t kCopyValueLimit = 16 * 1024;
// A SASL message larger than this is refused (PLAIN needs a few hundred bytes at most).
constexpr uint32_t kMaxSaslMessage = 8192;

// The execution of one parsed request against the handler's context and pending-store state.
class BinaryCommand {
 public:
  BinaryCommand(const HandlerContext& ctx, BinaryHandler::PendingStore& pending,
                const bin::Request& req)
      : ctx_(ctx), pending_(pending), req_(req), info_(bin::DescribeOpcode(req.header.opcode)) {}

  // Executes req_. Returns false when the request needs bytes beyond the parsed prefix that are
  // not in the buffer yet (SASL data): nothing was consumed and the caller waits for more.
  bool Execute();
  void FinishStore(storage::ItemRef item, bool data_ok);
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
    ctx_.conn->CloseAfterWrite();
  }
  void Swallow(size_t n) { ctx_.conn->Swallow(n); }

  void Get();
  void Store();
  void Delete();
  void Delta();
  void Flush();
  void Stat();
  bool Sasl();
  void SendItem(storage::ItemRef item, bool with_key, bool with_value);

  const HandlerContext& ctx_;
  BinaryHandler::PendingStore& pending_;
  const bin::Request& req_;
  bin::OpcodeInfo info_;
};

void BinaryCommand::Empty(uint64_t cas) {
  char* p = ctx_.out->Reserve(bin::kEmptyResponseSize);
  ctx_.out->Commit(bin::EncodeEmptyResponse(p, req_.header.opcode, req_.header.opaque, cas));
}

void BinaryCommand::KeyValue(std::string_view key, std::string_view value) {
  char* p = ctx_.out->Reserve(bin::kHeaderSize + key.size() + value.size());
  size_t n = bin::EncodeKeyValueResponseHead(p, req_.header.opcode, req_.header.opaque, key,
                                             static_cast<uint32_t>(value.size()));
  if (!value.empty()) memcpy(p + n, value.data(), value.size());
  ctx_.out->Commit(n + value.size());
}

void BinaryCommand::Error(Status st) {
  char* p = ctx_.out->Reserve(bin::kMaxErrorResponseSize);
  ctx_.out->Commit(
      bin::EncodeErrorResponse(p, req_.header.opcode, req_.header.opaque, st, bin::StatusText(st)));
}

void BinaryCommand::KeyMiss() {
  char* p = ctx_.out->Reserve(bin::kHeaderSize + req_.key.size());
  ctx_.out->Commit(bin::EncodeKeyMissResponse(p, req_.header.opcode, req_.header.opaque, req_.key));
}

void BinaryCommand::DeltaValue(uint64_t value, uint64_t cas) {
  char* p = ctx_.out->Reserve(bin::kDeltaResponseSize);
  ctx_.out->Commit(bin::EncodeDeltaResponse(p, req_.header.opcode, req_.header.opaque, cas, value));
}

bool BinaryCommand::Execute() {
  const bin::Header& h = req_.header;
  const Settings& settings = *ctx_.settings;
  if (settings.sasl && !ctx_.conn->authenticated()) {
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
      ctx_.conn->CloseAfterWrite();
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

void BinaryCommand::SendItem(storage::ItemRef item, bool with_key, bool with_value) {
  uint32_t len = with_value ? item.value_length() : 0;
  std::string_view key = with_key ? req_.key : std::string_view();
  bool copy = len <= kCopyValueLimit && !item.chunked();
  char* p =
      ctx_.out->Reserve(bin::kHeaderSize + bin::kGetExtrasSize + key.size() + (copy ? len : 0));
  const size_t head = bin::EncodeGetResponse(p, req_.header.opcode, req_.header.opaque, item.cas(),
                                             item.client_flags(), key, len);
  if (len == 0) {
    ctx_.out->Commit(head);
    return;
  }
  if (copy) {
    memcpy(p + head, item.value().data(), len);
    ctx_.out->Commit(head + len);
    return;
  }
  ctx_.out->Commit(head);
  if (item.chunked()) {
    std::vector<std::span<const char>> pieces;
    item.ForEachSegment([&](std::span<const char> s) { pieces.push_back(s); });
    for (std::span<const char> s : pieces) ctx_.out->AppendExternal(s.data(), s.size());
    ctx_.out->AppendPinned(nullptr, 0, PinItem(std::move(item)));
  } else {
    std::span<const char> v = item.value();
    ctx_.out->AppendPinned(v.data(), v.size(), PinItem(std::move(item)));
  }
}

void BinaryCommand::Get() {
  bool touch =
      info_.base == Opcode::kTouch || info_.base == Opcode::kGat || info_.base == Opcode::kGatK;
  bool with_key = info_.base == Opcode::kGetK || info_.base == Opcode::kGatK;
  storage::Session& session = *ctx_.session;
  storage::ItemRef item;
  if (touch) {
    RelTime exptime = ctx_.clock->FromExptime(bin::DecodeExptimeExtras(req_.extras));
    item = ctx_.engine->GetAndTouch(session, req_.key, exptime);
    ctx_.stats->cmd_touch.Add();
  } else {
    item = ctx_.engine->Get(session, req_.key);
    ctx_.stats->cmd_get.Add();
  }
  bool hit = static_cast<bool>(item);
  if (ctx_.server->detail_enabled()) ctx_.server->RecordPrefix(req_.key, true, hit, false, false);
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

void BinaryCommand::Store() {
  storage::Session& session = *ctx_.session;
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
  if (ctx_.server->detail_enabled()) ctx_.server->RecordPrefix(req_.key, false, false, true, false);
  RelTime exptime = append ? 0 : ctx_.clock->FromExptime(ex.exptime);
  storage::ItemRef item;
  storage::AllocResult ar =
      ctx_.engine->Allocate(session, req_.key, ex.flags, exptime, req_.value_length, &item);
  if (ar != storage::AllocResult::kOk) {
    if (ar == storage::AllocResult::kTooLarge) {
      ctx_.stats->store_too_large.Add();
      Error(Status::kTooLarge);
    } else {
      ctx_.stats->store_no_memory.Add();
      Error(Status::kOutOfMemory);
    }
    // A failed set must not leave the old value behind (memcached does the same).
    if (info_.base == Opcode::kSet) ctx_.engine->Unlink(session, req_.key);
    Swallow(req_.value_length);
    return;
  }
  pending_.header = req_.header;
  pending_.quiet = info_.quiet;
  pending_.op = op;
  pending_.cas = req_.header.cas;
  // Binary values have no "\r\n" after them.
  ctx_.conn->ReadValue(ValueOwner::kBinary, std::move(item), req_.value_length,
                       /*crlf_terminated=*/false);
}

void BinaryCommand::FinishStore(storage::ItemRef item, bool data_ok) {
  if (!data_ok) return;  // cannot happen: binary stores have no terminator to check
  uint64_t cas = 0;
  storage::StoreResult r = ctx_.engine->Store(*ctx_.session, pending_.op, item, pending_.cas, &cas);
  if (ctx_.logger->Wants(log_type::kMutations)) {
    ctx_.conn->LogStore(pending_.op, item, r, /*ttl_zero=*/false);
  }
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
      if (r == storage::StoreResult::kNoMemory) ctx_.stats->store_no_memory.Add();
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

void BinaryCommand::Delete() {
  storage::DeleteResult r = ctx_.engine->Delete(*ctx_.session, req_.key, req_.header.cas);
  if (ctx_.server->detail_enabled()) ctx_.server->RecordPrefix(req_.key, false, false, false, true);
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

void BinaryCommand::Delta() {
  bin::DeltaExtras ex = bin::DecodeDeltaExtras(req_.extras);
  storage::Session& session = *ctx_.session;
  storage::DeltaRequest dr;
  dr.key = req_.key;
  dr.incr = info_.base == Opcode::kIncrement;
  dr.delta = ex.delta;
  dr.cas = req_.header.cas;
  storage::DeltaReply d = ctx_.engine->Delta(session, dr);
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
  RelTime exptime = ctx_.clock->FromExptime(ex.exptime);
  if (ctx_.engine->Allocate(session, req_.key, 0, exptime, static_cast<uint32_t>(n), &item) !=
      storage::AllocResult::kOk) {
    Error(Status::kOutOfMemory);
    return;
  }
  storage::ValueWriter(item).Write(digits, n);
  uint64_t cas = 0;
  const storage::StoreResult r = ctx_.engine->Store(session, storage::StoreOp::kAdd, item, 0, &cas);
  if (ctx_.logger->Wants(log_type::kMutations)) {
    ctx_.conn->LogStore(storage::StoreOp::kAdd, item, r, /*ttl_zero=*/false);
  }
  if (r != storage::StoreResult::kStored) {
    Error(Status::kNotStored);
    return;
  }
  if (info_.quiet) return;
  DeltaValue(ex.initial, cas);
}

void BinaryCommand::Flush() {
  if (!(*ctx_.settings).flush_enabled) {
    Error(Status::kAuthError);  // memcached's answer to a flush under -F
    return;
  }
  ctx_.stats->cmd_flush.Add();
  Clock& clock = *ctx_.clock;
  uint32_t when = bin::DecodeExptimeExtras(req_.extras);
  ctx_.engine->FlushAll(when > 0 ? clock.FromExptime(when) : clock.Now());
  Success();
}

void BinaryCommand::Stat() {
  auto sink = [this](std::string_view name, std::string_view value) { KeyValue(name, value); };
  std::string_view sub = req_.key;
  // memcached matches reset, settings and detail by prefix, the others exactly.
  if (sub.empty()) {
    ctx_.server->AppendGeneralStats(sink);
  } else if (sub.starts_with("reset")) {
    ctx_.server->ResetStats();
  } else if (sub.starts_with("settings")) {
    Settings current = *ctx_.settings;
    current.verbose = ctx_.server->verbosity();
    current.detail_enabled = ctx_.server->detail_enabled();
    ctx_.engine->CurrentRuntimeSettings(&current);
    AppendSettingsStats(current, sink);
  } else if (sub.starts_with("detail")) {
    std::string_view arg = sub.substr(6);
    if (arg.starts_with(" dump")) {
      sink("detailed", ctx_.server->DumpPrefixes());
    } else if (arg.starts_with(" on")) {
      ctx_.server->set_detail_enabled(true);
    } else if (arg.starts_with(" off")) {
      ctx_.server->set_detail_enabled(false);
    } else {
      Error(Status::kKeyNotFound);
      return;
    }
  } else if (sub == "items") {
    ctx_.engine->AppendItemsStats(sink);
  } else if (sub == "slabs") {
    ctx_.engine->AppendSlabsStats(sink);
  } else if (sub == "sizes") {
    ctx_.engine->AppendSizesStats(sink);
  } else {
    Error(Status::kKeyNotFound);
    return;
  }
  Empty(0);  // the empty packet that ends a stats reply
}

bool BinaryCommand::Sasl() {
  const Settings& settings = *ctx_.settings;
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
  if (ctx_.in->size() < req_.value_length) return false;
  std::string_view message(ctx_.in->data(), req_.value_length);
  ctx_.in->Consume(req_.value_length);
  WorkerStats& st = *ctx_.stats;
  st.auth_cmds.Add();
  std::string_view user, password;
  const CredentialStore* store = ctx_.server->credentials();
  // PLAIN finishes in one step, so a SASL_STEP never has a started exchange to continue.
  bool ok = info_.base == Opcode::kSaslAuth && req_.key == bin::kSaslMechPlain &&
            store != nullptr && bin::ParseSaslPlain(message, &user, &password) &&
            store->Check(user, password);
  if (!ok) {
    // As in memcached, where a connection is authenticated while its SASL exchange has a user:
    // a failed exchange, even after a successful one, leaves the connection unauthenticated.
    ctx_.conn->set_authenticated(false);
    st.auth_errors.Add();
    Error(Status::kAuthError);
    return true;
  }
  ctx_.conn->set_authenticated(true);
  KeyValue({}, bin::kSaslAuthenticated);
  return true;
}

}  // namespace

bool BinaryHandler::Execute(const bin::Request& req) {
  return BinaryCommand(ctx_, pending_, req).Execute();
}

void BinaryHandler::RejectKeyPastBody(const bin::Request& req) {
  BinaryCommand(ctx_, pending_, req).RejectKeyPastBody();
}

void BinaryHandler::FinishStore(storage::ItemRef item, bool data_ok) {
  bin::Request req;
  req.header = pending_.header;
  BinaryCommand(ctx_, pending_, req).FinishStore(std::move(item), data_ok);
}

}  // namespace memfleet::server
