// TextHandler (see text_handler.h): the text commands, executed through a HandlerContext.
#include "server/text_handler.h"

#include <cstring>
#include <iterator>
#include <string>
#include <vector>

#include "protocol/text/number.h"
#include "protocol/text/reply.h"
#include "protocol/text/vocabulary.h"
#include "server/command_line.h"
#include "server/item_pin.h"
#include "server/settings_stats.h"

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

void TextHandler::Execute(const text::Request& req) {
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
    default:
      ExecuteAdmin(req);
      return;
  }
}

void TextHandler::AppendValue(storage::ItemRef item, std::string_view key, bool with_cas) {
  uint32_t len = item.value_length();
  char* p = ctx_.out->Reserve(text::kValueHeaderMaxSize + 2 + (len <= kCopyValueLimit ? len : 0));
  char* start = p;
  p += text::FormatValueHeader(p, key, item.client_flags(), len, with_cas,
                               with_cas ? item.cas() : 0);
  if (len <= kCopyValueLimit && !item.chunked()) {
    memcpy(p, item.value().data(), len);
    p += len;
    memcpy(p, text::kCrlf.data(), text::kCrlf.size());
    p += text::kCrlf.size();
    ctx_.out->Commit(static_cast<size_t>(p - start));
    return;
  }
  ctx_.out->Commit(static_cast<size_t>(p - start));
  if (item.chunked()) {
    std::vector<std::span<const char>> pieces;
    item.ForEachSegment([&](std::span<const char> s) { pieces.push_back(s); });
    for (std::span<const char> s : pieces) ctx_.out->AppendExternal(s.data(), s.size());
    ctx_.out->AppendPinned(nullptr, 0, PinItem(std::move(item)));
  } else {
    std::span<const char> v = item.value();
    ctx_.out->AppendPinned(v.data(), v.size(), PinItem(std::move(item)));
  }
  ctx_.out->Append(text::kCrlf);
}

// memcached's stores, deletes, incr/decr and touches look their key up first, and that lookup
// logs a `watch fetchers` line like a get (found or not, before the command's own line). A
// peek (no bump, no counters) logs the same, and only while a watcher wants it.
void TextHandler::LogLookup(std::string_view key) {
  if (!ctx_.logger->Wants(log_type::kFetchers)) return;
  storage::MetaGetRequest q;
  q.key = key;
  q.bump = false;
  q.peek = true;
  ctx_.conn->LogFetch(key, ctx_.engine->MetaGet(*ctx_.session, q).item);
}

void TextHandler::ExecuteRetrieval(const text::Request& req) {
  bool with_cas = req.command == text::Command::kGets || req.command == text::Command::kGats;
  bool touch = req.command == text::Command::kGat || req.command == text::Command::kGats;
  RelTime exptime = touch ? ctx_.clock->FromExptime(req.exptime) : 0;
  WorkerStats& st = *ctx_.stats;
  storage::Session& session = *ctx_.session;
  bool detail = ctx_.server->detail_enabled();
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
      ctx_.engine->Prefetch(batch, n);
      left_in_batch = n;
    }
    if (left_in_batch > 0) left_in_batch--;
    storage::ItemRef item =
        touch ? ctx_.engine->GetAndTouch(session, key, exptime) : ctx_.engine->Get(session, key);
    // memcached counts gat/gats as touches, not as gets.
    (touch ? st.cmd_touch : st.cmd_get).Add();
    if (detail) ctx_.server->RecordPrefix(key, true, static_cast<bool>(item), false, false);
    if (ctx_.logger->Wants(log_type::kFetchers)) {
      ctx_.conn->LogFetch(key, item);
    }
    if (item) AppendValue(std::move(item), key, with_cas);
    if (ctx_.reply_marks != nullptr) ctx_.reply_marks->push_back(ctx_.out->pending());
  }
  ctx_.out->Append(text::kReplyEnd);
}

void TextHandler::BeginStore(const text::Request& req) {
  WorkerStats& st = *ctx_.stats;
  storage::Session& session = *ctx_.session;
  StoreOp op = StoreOpFor(req.command);
  RelTime exptime = ctx_.clock->FromExptime(req.exptime);
  // memcached counts the set before it allocates: a set too large for the cache counts too.
  if (ctx_.server->detail_enabled()) ctx_.server->RecordPrefix(req.key, false, false, true, false);
  storage::ItemRef item;
  storage::AllocResult ar =
      ctx_.engine->Allocate(session, req.key, req.client_flags, exptime, req.value_length, &item);
  if (ar != storage::AllocResult::kOk) {
    if (ar == storage::AllocResult::kTooLarge) {
      st.store_too_large.Add();
      ReplyLine(text::kReplyTooLarge);
    } else {
      st.store_no_memory.Add();
      ReplyLine(text::kReplyOutOfMemoryStoring);
    }
    // A failed set must not leave the old value behind (memcached does the same).
    if (op == StoreOp::kSet) ctx_.engine->Unlink(session, req.key);
    ctx_.conn->Swallow(static_cast<size_t>(req.value_length) + 2);
    return;
  }
  pending_op_ = op;
  pending_cas_ = req.cas;
  ctx_.conn->ReadValue(ValueOwner::kText, std::move(item), req.value_length,
                       /*crlf_terminated=*/true);
}

void TextHandler::FinishStore(storage::ItemRef item, bool data_ok) {
  if (!data_ok) {
    item.Reset();
    ReplyLine(text::kReplyBadDataChunk);
    return;
  }
  LogLookup(item.key());
  storage::StoreResult r =
      ctx_.engine->Store(*ctx_.session, pending_op_, item, pending_cas_, nullptr);
  if (ctx_.logger->Wants(log_type::kMutations)) {
    ctx_.conn->LogStore(pending_op_, item, r, /*ttl_zero=*/false);
  }
  item.Reset();
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
      ctx_.stats->store_no_memory.Add();
      ReplyLine(text::kReplyOutOfMemoryStoring);
      break;
  }
}

void TextHandler::ExecuteDelta(const text::Request& req) {
  bool incr = req.command == text::Command::kIncr;
  storage::DeltaRequest dr;
  dr.key = req.key;
  dr.incr = incr;
  dr.delta = req.delta;
  LogLookup(req.key);
  storage::DeltaReply d = ctx_.engine->Delta(*ctx_.session, dr);
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

void TextHandler::ExecuteDelete(const text::Request& req) {
  storage::ItemRef removed;
  const bool log = ctx_.logger->Wants(log_type::kDeletions);
  LogLookup(req.key);
  storage::DeleteResult r =
      ctx_.engine->Delete(*ctx_.session, req.key, 0, log ? &removed : nullptr);
  if (log) ctx_.conn->LogDeletion(text::kCommandDelete, removed);
  if (ctx_.server->detail_enabled()) ctx_.server->RecordPrefix(req.key, false, false, false, true);
  ReplyLine(r == storage::DeleteResult::kDeleted ? text::kReplyDeleted : text::kReplyNotFound);
}

void TextHandler::ExecuteTouch(const text::Request& req) {
  ctx_.stats->cmd_touch.Add();
  RelTime exptime = ctx_.clock->FromExptime(req.exptime);
  LogLookup(req.key);
  ReplyLine(ctx_.engine->Touch(*ctx_.session, req.key, exptime) ? text::kReplyTouched
                                                                : text::kReplyNotFound);
}

void TextHandler::ExecuteFlushAll(const text::Request& req) {
  if (!ctx_.settings->flush_enabled) {
    ReplyLine(text::kReplyFlushNotAllowed);
    return;
  }
  ctx_.stats->cmd_flush.Add();
  Clock& clock = *ctx_.clock;
  RelTime when = (req.has_number && req.number > 0) ? clock.FromExptime(req.number) : clock.Now();
  ctx_.engine->FlushAll(when);
  ReplyLine(text::kReplyOk);
}

void TextHandler::ExecuteStats(const text::Request& req) {
  auto sink = [this](std::string_view name, std::string_view value) {
    char* p = ctx_.out->Reserve(text::StatLineSize(name, value));
    ctx_.out->Commit(text::FormatStatLine(p, name, value));
  };
  if (req.ntokens < 2) {
    ctx_.server->AppendGeneralStats(sink);
    ctx_.out->Append(text::kReplyEnd);
    return;
  }
  std::string_view sub = req.tokens[1];
  if (sub == "settings") {
    // Show the values operators may have changed at run time.
    Settings current = *ctx_.settings;
    current.verbose = ctx_.server->verbosity();
    current.detail_enabled = ctx_.server->detail_enabled();
    ctx_.engine->CurrentRuntimeSettings(&current);
    AppendSettingsStats(current, sink);
  } else if (sub == "items") {
    ctx_.engine->AppendItemsStats(sink);
  } else if (sub == "slabs") {
    ctx_.engine->AppendSlabsStats(sink);
  } else if (sub == "sizes") {
    ctx_.engine->AppendSizesStats(sink);
  } else if (sub == "sizes_enable" || sub == "sizes_disable") {
    // memcached 1.6.18 answers these with the status line(s) alone, without END.
    ctx_.engine->SetSizesTracking(sub == "sizes_enable", sink);
    return;
  } else if (sub == text::kStatsCachedump) {
    ExecuteCachedump(req);
    return;
  } else if (sub == "conns") {
    ctx_.server->AppendConnStats(sink);
  } else if (sub == "reset") {
    ctx_.server->ResetStats();
    ReplyLineAlways(text::kReplyReset);
    return;
  } else if (sub == "detail") {
    std::string_view arg = req.ntokens >= 3 ? req.tokens[2] : std::string_view();
    if (arg == "on") {
      ctx_.server->set_detail_enabled(true);
      ReplyLineAlways(text::kReplyOk);
    } else if (arg == "off") {
      ctx_.server->set_detail_enabled(false);
      ReplyLineAlways(text::kReplyOk);
    } else if (arg == "dump") {
      ctx_.out->Append(ctx_.server->DumpPrefixes());
    } else {
      ReplyLineAlways(text::kReplyStatsDetailUsage);
    }
    return;
  } else {
    ReplyLineAlways(text::kReplyError);
    return;
  }
  ctx_.out->Append(text::kReplyEnd);
}

// memcached's checks in its order; then at most 2 MiB of ITEM lines (as memcached's buffer) and
// END. Class ids up to memcached's 63 are accepted even where memfleetd has fewer classes (an
// unknown class lists nothing), and beyond it where it has more.
void TextHandler::ExecuteCachedump(const text::Request& req) {
  constexpr size_t kMaxReply = 2 * 1024 * 1024;
  constexpr uint32_t kMemcachedClassIds = 64;
  if (!ctx_.settings->dump_enabled) return ReplyAlways(text::kErrorCachedumpNotAllowed);
  if (req.ntokens < 4) return ReplyAlways(text::kErrorBadCommandLine);
  uint32_t cls = 0, limit = 0;
  if (!text::ParseUint32(req.tokens[2], &cls) || !text::ParseUint32(req.tokens[3], &limit)) {
    return ReplyAlways(text::kErrorBadFormat);
  }
  if (cls >= kMemcachedClassIds && cls > static_cast<uint32_t>(ctx_.engine->ClassCount())) {
    return ReplyAlways(text::kErrorIllegalSlabId);
  }
  std::string lines;
  ctx_.engine->CacheDump(static_cast<int>(cls), limit, [&](const storage::ItemInfo& item) {
    std::string line(text::kReplyItemPrefix);
    line.append(item.key);
    line.append(text::kCachedumpBytesOpen);
    line.append(std::to_string(item.value_length));
    line.append(text::kCachedumpBytesUnit);
    line.append(std::to_string(item.exptime == 0 ? 0 : ctx_.clock->ToUnix(item.exptime)));
    line.append(text::kCachedumpTimeClose);
    if (lines.size() + line.size() + text::kReplyEnd.size() + 1 > kMaxReply) return false;
    lines += line;
    return true;
  });
  ctx_.out->Append(lines);
  ctx_.out->Append(text::kReplyEnd);
}

void TextHandler::ExecuteAdmin(const text::Request& req) {
  switch (req.command) {
    case text::Command::kVersion:
      ctx_.out->Append(text::kReplyVersionPrefix);
      ctx_.out->Append(kVersion);
      ctx_.out->Append(text::kCrlf);
      return;
    case text::Command::kVerbosity:
      ctx_.server->set_verbosity(static_cast<int>(req.number));
      ReplyLine(text::kReplyOk);
      return;
    case text::Command::kQuit:
      ctx_.conn->CloseAfterWrite();
      return;
    case text::Command::kShutdown: {
      if (!ctx_.settings->shutdown_command) {
        ReplyLineAlways(text::kReplyShutdownNotEnabled);
        return;
      }
      bool graceful = req.ntokens == 2 && req.tokens[1] == "graceful";
      if (req.ntokens >= 2 && !graceful) {
        ReplyLineAlways(text::kReplyInvalidShutdownMode);
        return;
      }
      ctx_.server->RequestShutdown(graceful);
      ctx_.conn->CloseAfterWrite();
      return;
    }
    case text::Command::kCacheMemlimit: {
      if (req.number < 8) {
        ReplyAlways(text::kErrorMemlimitTooSmall);
        return;
      }
      if (!ctx_.engine->SetMemoryLimit(static_cast<uint64_t>(req.number) * 1024 * 1024)) {
        ctx_.out->Append(text::kReplyMemlimitAdjustFailed);
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

void TextHandler::Reply(std::string_view line) {
  if (noreply_) return;
  ReplyAlways(line);
}

void TextHandler::ReplyAlways(std::string_view line) {
  char* dst = ctx_.out->Reserve(line.size() + text::kCrlf.size());
  memcpy(dst, line.data(), line.size());
  memcpy(dst + line.size(), text::kCrlf.data(), text::kCrlf.size());
  ctx_.out->Commit(line.size() + text::kCrlf.size());
}

void TextHandler::ReplyLine(std::string_view line_with_crlf) {
  if (noreply_) return;
  ctx_.out->Append(line_with_crlf);
}

void TextHandler::ReplyLineAlways(std::string_view line_with_crlf) {
  ctx_.out->Append(line_with_crlf);
}

}  // namespace memfleet::server
