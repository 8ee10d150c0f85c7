// MetaHandler (see meta_handler.h): the meta commands, executed through a HandlerContext.
#include "server/meta_handler.h"

#include <cstring>
#include <span>

#include "protocol/meta/meta.h"
#include "protocol/meta/vocabulary.h"
#include "protocol/text/reply.h"
#include "server/item_pin.h"

namespace memfleet::server {

namespace meta = protocol::meta;
namespace text = protocol::text;
using storage::StoreOp;

namespace {

// Values up to this size are copied into the output buffer; larger ones are sent from item memory.
constexpr uint32_t kCopyValueLimit = 16 * 1024;

std::span<const std::string_view> FlagTokens(const text::Request& req, size_t first) {
  if (req.ntokens <= first) return {};
  return std::span<const std::string_view>(req.tokens.data() + first, req.ntokens - first);
}

// The remaining TTL memcached prints for exptime e: -1 for never.
void WriteTtl(meta::MetaReplyWriter& w, RelTime e, RelTime now) {
  w.Ttl(e == 0, static_cast<uint32_t>(e - now));
}

// Appends a value that did not fit in the reply line's buffer, then "\r\n".
void AppendLargeValue(net::OutBuffer& out, storage::ItemRef item) {
  if (item.chunked()) {
    std::vector<std::span<const char>> pieces;
    item.ForEachSegment([&](std::span<const char> s) { pieces.push_back(s); });
    for (std::span<const char> s : pieces) out.AppendExternal(s.data(), s.size());
    out.AppendPinned(nullptr, 0, PinItem(std::move(item)));
  } else {
    std::span<const char> v = item.value();
    out.AppendPinned(v.data(), v.size(), PinItem(std::move(item)));
  }
  out.Append(meta::kCrlf);
}

}  // namespace

void MetaHandler::ReplyAlways(std::string_view line) {
  char* dst = ctx_.out->Reserve(line.size() + meta::kCrlf.size());
  std::memcpy(dst, line.data(), line.size());
  std::memcpy(dst + line.size(), meta::kCrlf.data(), meta::kCrlf.size());
  ctx_.out->Commit(line.size() + meta::kCrlf.size());
}

void MetaHandler::Execute(const text::Request& req) {
  if (req.command == text::Command::kMetaNoop) {
    ctx_.out->Append(text::kMetaReplyNoop);
    return;
  }
  if (req.command == text::Command::kMetaDebug) {
    Debug(req);
    return;
  }
  meta::MetaCommand cmd = req.command == text::Command::kMetaGet   ? meta::MetaCommand::kGet
                          : req.command == text::Command::kMetaSet ? meta::MetaCommand::kSet
                          : req.command == text::Command::kMetaDelete
                              ? meta::MetaCommand::kDelete
                              : meta::MetaCommand::kArithmetic;
  std::span<const std::string_view> tokens =
      FlagTokens(req, cmd == meta::MetaCommand::kSet ? 3 : 2);
  char key_buf[meta::kKeyMaxLength];
  meta::MetaFlags flags;
  std::string_view err = meta::ParseMetaFlags(cmd, req.key, tokens, key_buf, &flags);
  if (!err.empty()) {
    ReplyAlways(err);
    if (cmd == meta::MetaCommand::kSet) {
      ctx_.conn->Swallow(static_cast<size_t>(req.value_length) + 2);
    }
    return;
  }
  switch (cmd) {
    case meta::MetaCommand::kGet:
      Get(flags, tokens);
      return;
    case meta::MetaCommand::kSet:
      BeginStore(req, flags, tokens);
      return;
    case meta::MetaCommand::kDelete:
      Delete(flags, tokens);
      return;
    case meta::MetaCommand::kArithmetic:
      Arithmetic(flags, tokens);
      return;
  }
}

void MetaHandler::Get(const meta::MetaFlags& flags, std::span<const std::string_view> tokens) {
  Clock& clock = *ctx_.clock;
  RelTime now = clock.Now();
  storage::MetaGetRequest mreq;
  mreq.key = flags.key;
  mreq.bump = !flags.no_update;
  mreq.key_binary = flags.key_binary;
  RelTime touch_exp = flags.touch ? clock.FromExptime(flags.ttl) : 0;
  RelTime viv_exp = flags.vivify ? clock.FromExptime(flags.vivify_ttl) : 0;
  // A vivified item ends with the exptime of whichever of T and N comes last on the line.
  RelTime created_exp = 0;
  size_t t_index = tokens.size(), r_index = tokens.size();
  for (size_t i = 0; i < tokens.size(); ++i) {
    char c = tokens[i][0];
    if (c == meta::kFlagTouch) {
      created_exp = touch_exp;
      t_index = i;
    } else if (c == meta::kFlagVivify) {
      created_exp = viv_exp;
    } else if (c == meta::kFlagRecache) {
      r_index = i;
    }
  }
  mreq.touch = flags.touch;
  mreq.exptime = touch_exp;
  mreq.vivify = flags.vivify;
  mreq.vivify_exptime = created_exp;
  mreq.recache = flags.recache;
  mreq.recache_time = flags.recache ? clock.FromExptime(flags.recache_ttl) : 0;
  mreq.recache_sees_touch = t_index < r_index;
  storage::MetaGetReply rep = ctx_.engine->MetaGet(*ctx_.session, mreq);
  WorkerStats& st = *ctx_.stats;

  if (!rep.item) {
    st.cmd_get.Add();
    if (flags.quiet) return;
    char* dst = ctx_.out->Reserve(meta::kMaxReplyLineSize);
    meta::MetaReplyWriter w(dst);
    w.Code(meta::kCodeMiss);
    for (std::string_view tok : tokens) {
      if (tok[0] == meta::kFlagOpaque) w.Opaque(tok);
      if (tok[0] == meta::kFlagReturnKey) w.Key(flags.key, flags.key_binary);
    }
    ctx_.out->Commit(w.End());
    return;
  }
  (flags.touch && !rep.created ? st.cmd_touch : st.cmd_get).Add();
  storage::ItemRef& item = rep.item;
  uint32_t len = item.value_length();
  bool copy = flags.value && len <= kCopyValueLimit && !item.chunked();
  char* dst = ctx_.out->Reserve(meta::kMaxReplyLineSize + (copy ? len + 2 : 0));
  meta::MetaReplyWriter w(dst);
  if (flags.value) {
    w.Value(len);
  } else {
    w.Code(meta::kCodeHit);
  }
  RelTime exp = rep.old_exptime;
  for (std::string_view tok : tokens) {
    switch (tok[0]) {
      case meta::kFlagTouch:
        exp = touch_exp;
        break;
      case meta::kFlagVivify:
        if (rep.created) exp = viv_exp;
        break;
      case meta::kFlagReturnSize:
        w.Flag(meta::kFlagReturnSize, len);
        break;
      case meta::kFlagReturnTtl:
        WriteTtl(w, exp, now);
        break;
      case meta::kFlagReturnCas:
        w.Flag(meta::kFlagReturnCas, item.cas());
        break;
      case meta::kFlagReturnFlags:
        w.Flag(meta::kFlagReturnFlags, item.client_flags());
        break;
      case meta::kFlagReturnLastAccess:
        w.Flag(meta::kFlagReturnLastAccess, now - rep.last_access);
        break;
      case meta::kFlagReturnHit:
        w.Flag(meta::kFlagReturnHit, rep.fetched ? 1 : 0);
        break;
      case meta::kFlagOpaque:
        w.Opaque(tok);
        break;
      case meta::kFlagReturnKey:
        w.Key(item.key(), rep.key_binary);
        break;
      default:
        break;
    }
  }
  if (rep.token_sent) w.Char(meta::kFlagWinSent);
  if (rep.stale) w.Char(meta::kFlagStale);
  if (rep.win) w.Char(meta::kFlagWin);
  size_t n = w.End();
  if (!flags.value) {
    ctx_.out->Commit(n);
    return;
  }
  if (copy) {
    if (len > 0) std::memcpy(dst + n, item.value().data(), len);
    std::memcpy(dst + n + len, meta::kCrlf.data(), meta::kCrlf.size());
    ctx_.out->Commit(n + len + 2);
    return;
  }
  ctx_.out->Commit(n);
  AppendLargeValue(*ctx_.out, std::move(rep.item));
}

void MetaHandler::BeginStore(const text::Request& req, const meta::MetaFlags& flags,
                             std::span<const std::string_view> tokens) {
  WorkerStats& st = *ctx_.stats;
  storage::Session& session = *ctx_.session;
  StoreOp op = StoreOp::kSet;
  switch (flags.mode) {
    case meta::kModeAdd:
      op = StoreOp::kAdd;
      break;
    case meta::kModeAppend:
      op = StoreOp::kAppend;
      break;
    case meta::kModePrepend:
      op = StoreOp::kPrepend;
      break;
    case meta::kModeReplace:
      op = StoreOp::kReplace;
      break;
    default:
      break;
  }
  // A cas turns set and replace into cas, as memcached does.
  if (flags.has_cas && (op == StoreOp::kSet || op == StoreOp::kReplace)) op = StoreOp::kCas;
  RelTime exptime = flags.touch ? ctx_.clock->FromExptime(flags.ttl) : 0;
  storage::ItemRef item;
  storage::AllocResult ar = ctx_.engine->Allocate(session, flags.key, flags.client_flags, exptime,
                                                  req.value_length, &item);
  if (ar != storage::AllocResult::kOk) {
    if (ar == storage::AllocResult::kTooLarge) {
      st.store_too_large.Add();
      ReplyAlways(meta::kErrTooLarge);
    } else {
      st.store_no_memory.Add();
      ReplyAlways(meta::kErrOutOfMemoryStoring);
    }
    // memcached's ms drops the old value whatever the mode.
    ctx_.engine->Unlink(session, flags.key);
    ctx_.conn->Swallow(static_cast<size_t>(req.value_length) + 2);
    return;
  }
  MetaState& m = store_;
  m.quiet = flags.quiet;
  m.key_binary = flags.key_binary;
  m.set_stale = flags.set_stale;
  m.op = op;
  m.cas = flags.cas;
  m.necho = 0;
  for (std::string_view tok : tokens) {
    char c = tok[0];
    if (c == meta::kFlagOpaque || c == meta::kFlagReturnKey || c == meta::kFlagReturnCas) {
      m.echo[m.necho++] = c;
    }
  }
  m.opaque_len = static_cast<uint8_t>(flags.opaque.size());
  if (!flags.opaque.empty()) std::memcpy(m.opaque, flags.opaque.data(), flags.opaque.size());
  m.key_len = static_cast<uint8_t>(flags.key.size());
  std::memcpy(m.key, flags.key.data(), flags.key.size());
  ctx_.conn->ReadValue(ValueOwner::kMeta, std::move(item), req.value_length,
                       /*crlf_terminated=*/true);
}

void MetaHandler::FinishStore(storage::ItemRef item, bool data_ok) {
  if (!data_ok) {
    item.Reset();
    ReplyAlways(meta::kErrBadDataChunk);
    return;
  }
  const MetaState& m = store_;
  storage::MetaStoreOptions opt;
  opt.set_stale = m.set_stale;
  opt.key_binary = m.key_binary;
  uint64_t cas_out = 0;
  storage::StoreResult r = ctx_.engine->MetaStore(*ctx_.session, m.op, item, m.cas, opt, &cas_out);
  if (ctx_.logger->Wants(log_type::kMutations)) {
    ctx_.conn->LogStore(m.op, item, r, /*ttl_zero=*/false);
  }
  item.Reset();
  std::string_view code;
  switch (r) {
    case storage::StoreResult::kStored:
      if (m.quiet) return;
      code = meta::kCodeHit;
      break;
    case storage::StoreResult::kNotStored:
      code = meta::kCodeNotStored;
      break;
    case storage::StoreResult::kExists:
      code = meta::kCodeExists;
      break;
    case storage::StoreResult::kNotFound:
      code = meta::kCodeNotFound;
      break;
    case storage::StoreResult::kNoMemory:
      ctx_.stats->store_no_memory.Add();
      ReplyAlways(meta::kErrOutOfMemoryStoring);
      return;
  }
  char* dst = ctx_.out->Reserve(meta::kMaxReplyLineSize);
  meta::MetaReplyWriter w(dst);
  w.Code(code);
  for (uint8_t i = 0; i < m.necho; ++i) {
    switch (m.echo[i]) {
      case meta::kFlagOpaque:
        w.Opaque(m.opaque_view());
        break;
      case meta::kFlagReturnKey:
        w.Key(m.key_view(), m.key_binary);
        break;
      case meta::kFlagReturnCas:
        w.Flag(meta::kFlagReturnCas, cas_out);
        break;
    }
  }
  ctx_.out->Commit(w.End());
}

void MetaHandler::Delete(const meta::MetaFlags& flags, std::span<const std::string_view> tokens) {
  storage::MetaDeleteRequest mreq;
  mreq.key = flags.key;
  mreq.has_cas = flags.has_cas;
  mreq.cas = flags.cas;
  mreq.invalidate = flags.set_stale;
  mreq.touch = flags.touch;
  mreq.exptime = flags.touch ? ctx_.clock->FromExptime(flags.ttl) : 0;
  storage::ItemRef removed;
  const bool log = ctx_.logger->Wants(log_type::kDeletions);
  if (log) mreq.removed = &removed;
  // memcached 1.6.18 counts no meta command in `stats detail`.
  storage::DeleteResult r = ctx_.engine->MetaDelete(*ctx_.session, mreq);
  if (log) ctx_.conn->LogDeletion(meta::kCmdDelete, removed);
  std::string_view code = r == storage::DeleteResult::kDeleted    ? meta::kCodeHit
                          : r == storage::DeleteResult::kNotFound ? meta::kCodeNotFound
                                                                  : meta::kCodeExists;
  if (r == storage::DeleteResult::kDeleted && flags.quiet) return;
  char* dst = ctx_.out->Reserve(meta::kMaxReplyLineSize);
  meta::MetaReplyWriter w(dst);
  w.Code(code);
  for (std::string_view tok : tokens) {
    if (tok[0] == meta::kFlagOpaque) w.Opaque(tok);
    if (tok[0] == meta::kFlagReturnKey) w.Key(flags.key, flags.key_binary);
  }
  ctx_.out->Commit(w.End());
}

void MetaHandler::Arithmetic(const meta::MetaFlags& flags,
                             std::span<const std::string_view> tokens) {
  Clock& clock = *ctx_.clock;
  RelTime now = clock.Now();
  storage::MetaDeltaRequest mreq;
  mreq.key = flags.key;
  mreq.incr = !(flags.mode == meta::kModeDecr || flags.mode == meta::kModeDecrAlias);
  mreq.delta = flags.delta;
  mreq.cas = flags.has_cas ? flags.cas : 0;
  mreq.vivify = flags.vivify;
  mreq.initial = flags.initial;
  mreq.key_binary = flags.key_binary;
  RelTime touch_exp = flags.touch ? clock.FromExptime(flags.ttl) : 0;
  RelTime viv_exp = flags.vivify ? clock.FromExptime(flags.vivify_ttl) : 0;
  RelTime created_exp = 0;
  for (std::string_view tok : tokens) {
    if (tok[0] == meta::kFlagTouch) created_exp = touch_exp;
    if (tok[0] == meta::kFlagVivify) created_exp = viv_exp;
  }
  mreq.vivify_exptime = created_exp;
  mreq.touch = flags.touch;
  mreq.exptime = touch_exp;
  storage::MetaDeltaReply rep = ctx_.engine->MetaDelta(*ctx_.session, mreq);
  if (rep.created && ctx_.logger->Wants(log_type::kMutations)) {
    // memcached stores the item N creates as an `add`, and logs it like one (an existing
    // item's incr/decr logs nothing). Look it up without counting a fetch, only while watched.
    storage::MetaGetRequest q;
    q.key = flags.key;
    q.bump = false;
    q.peek = true;
    storage::ItemRef created = ctx_.engine->MetaGet(*ctx_.session, q).item;
    if (created) {
      ctx_.conn->LogStore(storage::StoreOp::kAdd, created, storage::StoreResult::kStored,
                          /*ttl_zero=*/true);
    }
  }
  switch (rep.result) {
    case storage::DeltaResult::kNonNumeric:
      ReplyAlways(meta::kErrNonNumeric);
      return;
    case storage::DeltaResult::kNoMemory:
      ReplyAlways(flags.vivify ? meta::kErrOutOfMemoryVivify : meta::kErrOutOfMemory);
      return;
    default:
      break;
  }
  char* dst = ctx_.out->Reserve(meta::kMaxReplyLineSize + text::kUint64MaxDigits + 2);
  meta::MetaReplyWriter w(dst);
  if (rep.result != storage::DeltaResult::kOk) {
    w.Code(rep.result == storage::DeltaResult::kExists ? meta::kCodeExists : meta::kCodeNotFound);
    for (std::string_view tok : tokens) {
      if (tok[0] == meta::kFlagOpaque) w.Opaque(tok);
      if (tok[0] == meta::kFlagReturnKey) w.Key(flags.key, flags.key_binary);
    }
    ctx_.out->Commit(w.End());
    return;
  }
  if (flags.quiet && !rep.created) return;
  char digits[text::kUint64MaxDigits];
  size_t ndigits = text::FormatUint64(digits, rep.value);
  if (flags.value) {
    w.Value(static_cast<uint32_t>(ndigits));
  } else {
    w.Code(meta::kCodeHit);
  }
  RelTime exp = rep.old_exptime;
  for (std::string_view tok : tokens) {
    switch (tok[0]) {
      case meta::kFlagReturnCas:
        w.Flag(meta::kFlagReturnCas, rep.cas);
        break;
      case meta::kFlagReturnTtl:
        WriteTtl(w, exp, now);
        break;
      case meta::kFlagTouch:
        exp = touch_exp;
        break;
      case meta::kFlagVivify:
        if (rep.created) exp = viv_exp;
        break;
      case meta::kFlagOpaque:
        w.Opaque(tok);
        break;
      case meta::kFlagReturnKey:
        w.Key(flags.key, flags.key_binary);
        break;
      default:
        break;
    }
  }
  size_t n = w.End();
  if (flags.value) {
    std::memcpy(dst + n, digits, ndigits);
    std::memcpy(dst + n + ndigits, meta::kCrlf.data(), meta::kCrlf.size());
    n += ndigits + 2;
  }
  ctx_.out->Commit(n);
}

void MetaHandler::Debug(const text::Request& req) {
  ctx_.stats->cmd_meta.Add();
  std::string_view key = req.key;
  char key_buf[meta::kKeyMaxLength];
  if (req.ntokens >= 3 && req.tokens[2] == "b") {
    size_t n = meta::Base64Decode(key, key_buf, key.size());
    if (n == 0) {
      ReplyAlways(meta::kErrBadFormat);
      return;
    }
    key = std::string_view(key_buf, n);
  }
  storage::MetaGetRequest mreq;
  mreq.key = key;
  mreq.peek = true;
  mreq.bump = false;
  storage::MetaGetReply rep = ctx_.engine->MetaGet(*ctx_.session, mreq);
  if (!rep.item) {
    ctx_.out->Append(text::kMetaReplyMiss);
    return;
  }
  RelTime now = ctx_.clock->Now();
  RelTime exp = rep.item.exptime();
  char* dst = ctx_.out->Reserve(meta::kMaxReplyLineSize);
  char* p = dst;
  std::memcpy(p, text::kMetaDebugPrefix.data(), text::kMetaDebugPrefix.size());
  p += text::kMetaDebugPrefix.size();
  std::string_view ikey = rep.item.key();
  if (rep.key_binary) {
    p += meta::Base64Encode(ikey, p);
  } else {
    std::memcpy(p, ikey.data(), ikey.size());
    p += ikey.size();
  }
  // memcached prints exp as now - exptime (negative while the item lives), -1 for never.
  int64_t e = exp == 0 ? -1 : static_cast<int32_t>(now - exp);
  auto put = [&p](std::string_view s) {
    std::memcpy(p, s.data(), s.size());
    p += s.size();
  };
  put(meta::kDebugExptime);
  if (e < 0) {
    *p++ = '-';
    p += text::FormatUint64(p, static_cast<uint64_t>(-e));
  } else {
    p += text::FormatUint64(p, static_cast<uint64_t>(e));
  }
  put(meta::kDebugLastAccess);
  p += text::FormatUint64(p, now - rep.last_access);
  put(meta::kDebugCas);
  p += text::FormatUint64(p, rep.item.cas());
  put(rep.fetched ? meta::kDebugFetchedYes : meta::kDebugFetchedNo);
  put(meta::kDebugSlabClass);
  p += text::FormatUint64(p, static_cast<uint64_t>(rep.slab_class));
  put(meta::kDebugSize);
  p += text::FormatUint64(p, rep.total_size);
  put(meta::kCrlf);
  ctx_.out->Commit(static_cast<size_t>(p - dst));
}

}  // namespace memfleet::server
