// Execution of text-protocol requests for Connection (see connection.h).
#include <cstring>
#include <iterator>
#include <string>

#include "protocol/text/reply.h"
#include "server/binary_handler.h"
#include "server/command_line.h"
#include "server/connection.h"
#include "server/meta_handler.h"
#include "server/server.h"
#include "server/settings_stats.h"
#include "server/worker.h"

namespace memfleet::server {

namespace text = protocol::text;
using storage::StoreOp;

namespace {

// Values up to this size are copied into the output buffer; larger ones are sent from item memory.
constexpr uint32_t kCopyValueLimit = 16 * 1024;

StoreOp StoreOpFor(text::Command c) {
  switch (c) {
    case text::Command::kAdd:
      return StoreOp::kAdd;
    case text::Command::kReplace:
      return StoreOp::kReplace;
    case text::Command::kAppend:
      return StoreOp::kAppend;
    case text::Command::kPrepend:
      return StoreOp::kPrepend;
    case text::Command::kCas:
      return StoreOp::kCas;
    default:
      return StoreOp::kSet;
  }
}

}  // namespace

void Connection::Execute(const text::Request& req) {
  noreply_ = req.noreply;
  switch (req.command) {
    case text::Command::kGet:
    case text::Command::kGets:
    case text::Command::kGat:
    case text::Command::kGats:
      ExecuteRetrieval(req);
      return;
    case text::Command::kSet:
    case text::Command::kAdd:
    case text::Command::kReplace:
    case text::Command::kAppend:
    case text::Command::kPrepend:
    case text::Command::kCas:
      BeginStore(req);
      return;
    case text::Command::kIncr:
    case text::Command::kDecr:
      ExecuteDelta(req);
      return;
    case text::Command::kDelete:
      ExecuteDelete(req);
      return;
    case text::Command::kTouch:
      ExecuteTouch(req);
      return;
    case text::Command::kFlushAll:
      ExecuteFlushAll(req);
      return;
    case text::Command::kStats:
      ExecuteStats(req);
      return;
    case text::Command::kMetaGet:
    case text::Command::kMetaSet:
    case text::Command::kMetaDelete:
    case text::Command::kMetaArithmetic:
    case text::Command::kMetaNoop:
    case text::Command::kMetaDebug:
      ExecuteMeta(req);
      return;
    case text::Command::kSlabs:
    case text::Command::kLruCrawler:
    case text::Command::kLru:
    case text::Command::kWatch:
    case text::Command::kMisbehave:
      ExecuteOperator(req);
      return;
    default:
      ExecuteAdmin(req);
      return;
  }
}

void Connection::AppendValue(storage::ItemRef item, std::string_view key, bool with_cas) {
  uint32_t len = item.value_length();
  char* p = out_.Reserve(text::kValueHeaderMaxSize + 2 + (len <= kCopyValueLimit ? len : 0));
  char* start = p;
  p += text::FormatValueHeader(p, key, item.client_flags(), len, with_cas,
                               with_cas ? item.cas() : 0);
  if (len <= kCopyValueLimit && !item.chunked()) {
    memcpy(p, item.value().data(), len);
    p += len;
    memcpy(p, text::kCrlf.data(), text::kCrlf.size());
    p += text::kCrlf.size();
    out_.Commit(static_cast<size_t>(p - start));
    return;
  }
  out_.Commit(static_cast<size_t>(p - start));
  if (item.chunked()) {
    std::vector<std::span<const char>> pieces;
    item.ForEachSegment([&](std::span<const char> s) { pieces.push_back(s); });
    for (std::span<const char> s : pieces) out_.AppendExternal(s.data(), s.size());
    out_.AppendPinned(nullptr, 0, PinItem(std::move(item)));
  } else {
    std::span<const char> v = item.value();
    out_.AppendPinned(v.data(), v.size(), PinItem(std::move(item)));
  }
  out_.Append(text::kCrlf);
}

void Connection::ExecuteRetrieval(const text::Request& req) {
  bool with_cas = req.command == text::Command::kGets || req.command == text::Command::kGats;
  bool touch = req.command == text::Command::kGat || req.command == text::Command::kGats;
  RelTime exptime = touch ? server_->clock().FromExptime(req.exptime) : 0;
  WorkerStats& st = worker_->stats();
  storage::Session& session = worker_->session();
  bool detail = server_->detail_enabled();
  text::KeyIterator keys(req.keys);
  // A multi-get prefetches its keys a batch ahead (the pipeline look-ahead took its first).
  const bool multi = req.keys.find(' ') != std::string_view::npos;
  text::KeyIterator ahead(req.keys);
  std::string_view batch[storage::Engine::kMaxPrefetch];
  size_t left_in_batch = 0;
  std::string_view key;
  while (keys.Next(&key)) {
    if (multi && left_in_batch == 0) {
      size_t n = 0;
      while (n < std::size(batch) && ahead.Next(&batch[n])) n++;
      engine_->Prefetch(batch, n);
      left_in_batch = n;
    }
    if (left_in_batch > 0) left_in_batch--;
    storage::ItemRef item =
        touch ? engine_->GetAndTouch(session, key, exptime) : engine_->Get(session, key);
    // memcached counts gat/gats as touches, not as gets.
    (touch ? st.cmd_touch : st.cmd_get).Add();
    if (detail) server_->RecordPrefix(key, true, static_cast<bool>(item), false, false);
    if (server_->logger().Wants(log_type::kFetchers)) {
      LogFetch(key, item);
    }
    if (item) AppendValue(std::move(item), key, with_cas);
  }
  out_.Append(text::kReplyEnd);
}

void Connection::BeginStore(const text::Request& req) {
  WorkerStats& st = worker_->stats();
  storage::Session& session = worker_->session();
  StoreOp op = StoreOpFor(req.command);
  RelTime exptime = server_->clock().FromExptime(req.exptime);
  // memcached counts the set before it allocates: a set too large for the cache counts too.
  if (server_->detail_enabled()) server_->RecordPrefix(req.key, false, false, true, false);
  storage::AllocResult ar = engine_->Allocate(session, req.key, req.client_flags, exptime,
                                              req.value_length, &pending_item_);
  if (ar != storage::AllocResult::kOk) {
    if (ar == storage::AllocResult::kTooLarge) {
      st.store_too_large.Add();
      ReplyLine(text::kReplyTooLarge);
    } else {
      st.store_no_memory.Add();
      ReplyLine(text::kReplyOutOfMemoryStoring);
    }
    // A failed set must not leave the old value behind (memcached does the same).
    if (op == StoreOp::kSet) engine_->Unlink(session, req.key);
    swallow_left_ = static_cast<size_t>(req.value_length) + 2;
    in_state_ = InState::kSwallow;
    return;
  }
  pending_kind_ = ValueOwner::kText;
  pending_op_ = op;
  pending_cas_ = req.cas;
  writer_.emplace(pending_item_);
  value_left_ = req.value_length;
  crlf_got_ = 0;
  in_state_ = InState::kValue;
}

bool Connection::ContinueValue() {
  size_t avail = rbuf_.size();
  if (value_left_ > 0) {
    size_t n = std::min(avail, value_left_);
    if (n > 0) {
      writer_->Write(rbuf_.data(), n);
      rbuf_.Consume(n);
      value_left_ -= n;
      avail -= n;
    }
    if (value_left_ > 0) return false;
  }
  while (crlf_got_ < 2 && avail > 0) {
    crlf_[crlf_got_++] = rbuf_.data()[0];
    rbuf_.Consume(1);
    --avail;
  }
  if (crlf_got_ < 2) return false;
  FinishStore();
  return true;
}

void Connection::FinishStore() {
  in_state_ = InState::kCommand;
  writer_.reset();
  bool data_ok = crlf_[0] == '\r' && crlf_[1] == '\n';
  if (pending_kind_ == ValueOwner::kMeta) {
    meta_->FinishStore(std::move(pending_item_), data_ok);
    return;
  }
  if (pending_kind_ == ValueOwner::kBinary) {
    binary_->FinishStore(std::move(pending_item_), data_ok);
    return;
  }
  if (!data_ok) {
    pending_item_.Reset();
    ReplyLine(text::kReplyBadDataChunk);
    return;
  }
  storage::StoreResult r =
      engine_->Store(worker_->session(), pending_op_, pending_item_, pending_cas_, nullptr);
  if (server_->logger().Wants(log_type::kMutations)) LogStore(r);
  pending_item_.Reset();
  switch (r) {
    case storage::StoreResult::kStored:
      ReplyLine(text::kReplyStored);
      break;
    case storage::StoreResult::kNotStored:
      ReplyLine(text::kReplyNotStored);
      break;
    case storage::StoreResult::kExists:
      ReplyLine(text::kReplyExists);
      break;
    case storage::StoreResult::kNotFound:
      ReplyLine(text::kReplyNotFound);
      break;
    case storage::StoreResult::kNoMemory:
      worker_->stats().store_no_memory.Add();
      ReplyLine(text::kReplyOutOfMemoryStoring);
      break;
  }
}

void Connection::ExecuteDelta(const text::Request& req) {
  bool incr = req.command == text::Command::kIncr;
  storage::DeltaRequest dr;
  dr.key = req.key;
  dr.incr = incr;
  dr.delta = req.delta;
  storage::DeltaReply d = engine_->Delta(worker_->session(), dr);
  switch (d.result) {
    case storage::DeltaResult::kOk: {
      char buf[text::kUint64MaxDigits];
      Reply(std::string_view(buf, text::FormatUint64(buf, d.value)));
      break;
    }
    case storage::DeltaResult::kNotFound:
    case storage::DeltaResult::kExists:
      ReplyLine(text::kReplyNotFound);
      break;
    case storage::DeltaResult::kNonNumeric:
      ReplyLine(text::kReplyNonNumeric);
      break;
    case storage::DeltaResult::kNoMemory:
      ReplyLine(text::kReplyOutOfMemory);
      break;
  }
}

void Connection::ExecuteDelete(const text::Request& req) {
  storage::ItemRef removed;
  const bool log = server_->logger().Wants(log_type::kDeletions);
  storage::DeleteResult r =
      engine_->Delete(worker_->session(), req.key, 0, log ? &removed : nullptr);
  if (log) LogDeletion(text::kCommandDelete, removed);
  if (server_->detail_enabled()) server_->RecordPrefix(req.key, false, false, false, true);
  ReplyLine(r == storage::DeleteResult::kDeleted ? text::kReplyDeleted : text::kReplyNotFound);
}

void Connection::ExecuteTouch(const text::Request& req) {
  worker_->stats().cmd_touch.Add();
  RelTime exptime = server_->clock().FromExptime(req.exptime);
  ReplyLine(engine_->Touch(worker_->session(), req.key, exptime) ? text::kReplyTouched
                                                                 : text::kReplyNotFound);
}

void Connection::ExecuteFlushAll(const text::Request& req) {
  if (!server_->settings().flush_enabled) {
    ReplyLine(text::kReplyFlushNotAllowed);
    return;
  }
  worker_->stats().cmd_flush.Add();
  Clock& clock = server_->clock();
  RelTime when = (req.has_number && req.number > 0) ? clock.FromExptime(req.number) : clock.Now();
  engine_->FlushAll(when);
  ReplyLine(text::kReplyOk);
}

void Connection::ExecuteStats(const text::Request& req) {
  auto sink = [this](std::string_view name, std::string_view value) {
    char* p = out_.Reserve(text::StatLineSize(name, value));
    out_.Commit(text::FormatStatLine(p, name, value));
  };
  if (req.ntokens < 2) {
    server_->AppendGeneralStats(sink);
    out_.Append(text::kReplyEnd);
    return;
  }
  std::string_view sub = req.tokens[1];
  if (sub == "settings") {
    // Show the values operators may have changed at run time.
    Settings current = server_->settings();
    current.verbose = server_->verbosity();
    current.detail_enabled = server_->detail_enabled();
    engine_->CurrentRuntimeSettings(&current);
    AppendSettingsStats(current, sink);
  } else if (sub == "items") {
    engine_->AppendItemsStats(sink);
  } else if (sub == "slabs") {
    engine_->AppendSlabsStats(sink);
  } else if (sub == "sizes") {
    engine_->AppendSizesStats(sink);
  } else if (sub == "sizes_enable" || sub == "sizes_disable") {
    // memcached 1.6.18 answers these with the status line(s) alone, without END.
    engine_->SetSizesTracking(sub == "sizes_enable", sink);
    return;
  } else if (sub == "conns") {
    server_->AppendConnStats(sink);
  } else if (sub == "reset") {
    server_->ResetStats();
    ReplyLineAlways(text::kReplyReset);
    return;
  } else if (sub == "detail") {
    std::string_view arg = req.ntokens >= 3 ? req.tokens[2] : std::string_view();
    if (arg == "on") {
      server_->set_detail_enabled(true);
      ReplyLineAlways(text::kReplyOk);
    } else if (arg == "off") {
      server_->set_detail_enabled(false);
      ReplyLineAlways(text::kReplyOk);
    } else if (arg == "dump") {
      out_.Append(server_->DumpPrefixes());
    } else {
      ReplyLineAlways(text::kReplyStatsDetailUsage);
    }
    return;
  } else {
    ReplyLineAlways(text::kReplyError);
    return;
  }
  out_.Append(text::kReplyEnd);
}

void Connection::ExecuteAdmin(const text::Request& req) {
  switch (req.command) {
    case text::Command::kVersion:
      out_.Append(text::kReplyVersionPrefix);
      out_.Append(kVersion);
      out_.Append(text::kCrlf);
      return;
    case text::Command::kVerbosity:
      server_->set_verbosity(static_cast<int>(req.number));
      ReplyLine(text::kReplyOk);
      return;
    case text::Command::kQuit:
      close_after_write_ = true;
      return;
    case text::Command::kShutdown: {
      if (!server_->settings().shutdown_command) {
        ReplyLineAlways(text::kReplyShutdownNotEnabled);
        return;
      }
      bool graceful = req.ntokens == 2 && req.tokens[1] == "graceful";
      if (req.ntokens >= 2 && !graceful) {
        ReplyLineAlways(text::kReplyInvalidShutdownMode);
        return;
      }
      server_->RequestShutdown(graceful);
      close_after_write_ = true;
      return;
    }
    case text::Command::kCacheMemlimit: {
      if (req.number < 8) {
        ReplyAlways(text::kErrorMemlimitTooSmall);
        return;
      }
      if (!engine_->SetMemoryLimit(static_cast<uint64_t>(req.number) * 1024 * 1024)) {
        out_.Append(text::kReplyMemlimitAdjustFailed);
        return;
      }
      ReplyLine(text::kReplyOk);
      return;
    }
    default:
      ReplyLineAlways(text::kReplyError);
      return;
  }
}

void Connection::ReplyLine(std::string_view line_with_crlf) {
  if (noreply_) return;
  out_.Append(line_with_crlf);
}

void Connection::ReplyLineAlways(std::string_view line_with_crlf) { out_.Append(line_with_crlf); }

}  // namespace memfleet::server
