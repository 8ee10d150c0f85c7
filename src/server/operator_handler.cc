// OperatorHandler (see operator_handler.h): slabs, lru_crawler, lru, watch and the rest of the
// operator commands, executed through a HandlerContext.
#include "server/operator_handler.h"

#include <cstring>
#include <string_view>

#include "protocol/text/number.h"
#include "protocol/text/reply.h"
#include "protocol/text/vocabulary.h"
#include "server/logger.h"

namespace memfleet::server {

namespace text = protocol::text;

namespace {

// "OK" without its "\r\n", to sit beside the other crawl replies (which have none).
constexpr std::string_view kOkLine =
    text::kReplyOk.substr(0, text::kReplyOk.size() - text::kCrlf.size());

}  // namespace

std::string_view CrawlReplyLine(storage::CrawlResult r) {
  switch (r) {
    case storage::CrawlResult::kOk:
      return kOkLine;
    case storage::CrawlResult::kRunning:
      return text::kAdminBusyCrawler;
    case storage::CrawlResult::kBadClass:
      return text::kAdminBadClassCrawler;
    case storage::CrawlResult::kNotStarted:
      return text::kAdminCrawlerNotStarted;
    case storage::CrawlResult::kDisabled:
      return text::kErrorCrawlerDisabled;
    case storage::CrawlResult::kError:
      break;
  }
  return text::kAdminCrawlerFailed;
}

void OperatorHandler::Execute(const text::Request& req) {
  noreply_ = req.noreply;
  // memcached counts the terminating empty token: its ntokens is ours + 1.
  const size_t nt = req.ntokens + 1;
  const std::string_view cmd = req.tokens[0];
  const std::string_view sub = req.ntokens >= 2 ? req.tokens[1] : std::string_view();
  const Settings& settings = *ctx_.settings;
  if (cmd == text::kCommandSlabs) {
    if (nt == 5 && sub == "reassign") {
      if (!settings.slab_reassign) {
        Reply(text::kErrorSlabReassignDisabled);
        return;
      }
      int32_t src = 0, dst = 0;
      if (!text::ParseInt32(req.tokens[2], &src) || !text::ParseInt32(req.tokens[3], &dst)) {
        Reply(text::kErrorBadFormat);
        return;
      }
      switch (ctx_.engine->Reassign(static_cast<int>(src), static_cast<int>(dst))) {
        case storage::ReassignResult::kOk:
          ReplyLine(text::kReplyOk);
          return;
        case storage::ReassignResult::kRunning:
          Reply(text::kAdminBusyReassign);
          return;
        case storage::ReassignResult::kBadClass:
          Reply(text::kAdminBadClassReassign);
          return;
        case storage::ReassignResult::kNoSpare:
          Reply(text::kAdminNoSpare);
          return;
        case storage::ReassignResult::kSame:
          Reply(text::kAdminSameClass);
          return;
      }
    }
    if (nt >= 4 && sub == "automove") {
      if (req.tokens[2] == "ratio") {
        double ratio = 0;
        if (nt < 5 || !text::ParseDouble(req.tokens[3], &ratio)) {
          ReplyLine(text::kReplyError);
          return;
        }
        ctx_.engine->SetAutomoveRatio(ratio);
      } else {
        uint32_t level = 0;
        if (!text::ParseUint32(req.tokens[2], &level)) {
          Reply(text::kErrorBadFormat);
          return;
        }
        if (level > 2) {
          ReplyLine(text::kReplyError);
          return;
        }
        ctx_.engine->SetAutomove(static_cast<int>(level));
      }
      ReplyLine(text::kReplyOk);
      return;
    }
    ReplyLineAlways(text::kReplyError);
    return;
  }
  if (cmd == text::kCommandLruCrawler) {
    if (nt == 4 && sub == "crawl") {
      Reply(CrawlReplyLine(ctx_.engine->Crawl(req.tokens[2])));
      return;
    }
    if (nt == 4 && (sub == "metadump" || sub == "mgdump")) {
      ctx_.conn->StartDump(req, sub == "mgdump");
      return;
    }
    if (nt == 4 && sub == "tocrawl") {
      uint32_t v = 0;
      if (!text::ParseUint32(req.tokens[2], &v)) {
        Reply(text::kErrorBadFormat);
        return;
      }
      ctx_.engine->SetCrawlerToCrawl(v);
      ReplyLine(text::kReplyOk);
      return;
    }
    if (nt == 4 && sub == "sleep") {
      uint32_t v = 0;
      if (!text::ParseUint32(req.tokens[2], &v)) {
        Reply(text::kErrorBadFormat);
        return;
      }
      if (v > 1000000) {
        Reply(text::kErrorCrawlerSleep);
        return;
      }
      ctx_.engine->SetCrawlerSleep(v);
      ReplyLine(text::kReplyOk);
      return;
    }
    if (nt == 3 && sub == "enable") {
      Reply(ctx_.engine->SetCrawlerEnabled(true) ? kOkLine : text::kErrorCrawlerStartFailed);
      return;
    }
    if (nt == 3 && sub == "disable") {
      Reply(ctx_.engine->SetCrawlerEnabled(false) ? kOkLine : text::kErrorCrawlerStopFailed);
      return;
    }
    ReplyLineAlways(text::kReplyError);
    return;
  }
  if (cmd == text::kCommandLru) {
    if (sub == "tune" && nt >= 7) {
      uint32_t hot = 0, warm = 0;
      double hot_factor = 0, warm_factor = 0;
      if (!text::ParseUint32(req.tokens[2], &hot) || !text::ParseUint32(req.tokens[3], &warm) ||
          !text::ParseDouble(req.tokens[4], &hot_factor) ||
          !text::ParseDouble(req.tokens[5], &warm_factor)) {
        ReplyLine(text::kReplyError);
      } else if (hot + warm > 80) {
        Reply(text::kErrorLruPcts);
      } else if (warm_factor <= 0 || hot_factor <= 0) {
        Reply(text::kErrorLruAgeFactors);
      } else {
        storage::LruTuning t;
        t.hot_lru_pct = static_cast<int>(hot);
        t.warm_lru_pct = static_cast<int>(warm);
        t.hot_max_factor = hot_factor;
        t.warm_max_factor = warm_factor;
        ctx_.engine->TuneLru(t);
        ReplyLine(text::kReplyOk);
      }
      return;
    }
    if (sub == "mode" && nt >= 4 && settings.lru_maintainer_thread) {
      if (req.tokens[2] == "flat") {
        ctx_.engine->SetLruSegmented(false);
        ReplyLine(text::kReplyOk);
      } else if (req.tokens[2] == "segmented") {
        ctx_.engine->SetLruSegmented(true);
        ReplyLine(text::kReplyOk);
      } else {
        ReplyLine(text::kReplyError);
      }
      return;
    }
    if (sub == "temp_ttl" && nt >= 4 && settings.lru_maintainer_thread) {
      int32_t ttl = 0;
      if (!text::ParseInt32(req.tokens[2], &ttl)) {
        ReplyLine(text::kReplyError);
        return;
      }
      ctx_.engine->SetTempTtl(static_cast<int>(ttl));
      ReplyLine(text::kReplyOk);
      return;
    }
    ReplyLineAlways(text::kReplyError);
    return;
  }
  if (cmd == text::kCommandWatch && settings.watch_enabled) {
    uint32_t mask = 0;
    for (size_t i = 1; i < req.ntokens; i++) {
      const std::string_view t = req.tokens[i];
      if (t == "fetchers") {
        mask |= log_type::kFetchers;
      } else if (t == "mutations") {
        mask |= log_type::kMutations;
      } else if (t == "evictions") {
        mask |= log_type::kEvictions;
      } else if (t == "connevents") {
        mask |= log_type::kConnEvents;
      } else if (t == "deletions") {
        mask |= log_type::kDeletions;
      } else {
        ReplyLineAlways(text::kReplyError);
        return;
      }
    }
    if (mask == 0) mask = log_type::kFetchers | log_type::kMutations | log_type::kEvictions;
    ctx_.conn->Watch(mask);
    ReplyLineAlways(text::kReplyOk);
    return;
  }
  if (cmd == text::kCommandWatch) {
    ReplyAlways(text::kErrorWatchNotAllowed);
    return;
  }
  ReplyLineAlways(text::kReplyError);
}

void OperatorHandler::Reply(std::string_view line) {
  if (noreply_) return;
  ReplyAlways(line);
}

void OperatorHandler::ReplyAlways(std::string_view line) {
  char* dst = ctx_.out->Reserve(line.size() + text::kCrlf.size());
  memcpy(dst, line.data(), line.size());
  memcpy(dst + line.size(), text::kCrlf.data(), text::kCrlf.size());
  ctx_.out->Commit(line.size() + text::kCrlf.size());
}

void OperatorHandler::ReplyLine(std::string_view line_with_crlf) {
  if (noreply_) return;
  ctx_.out->Append(line_with_crlf);
}

void OperatorHandler::ReplyLineAlways(std::string_view line_with_crlf) {
  ctx_.out->Append(line_with_crlf);
}

}  // namespace memfleet::server
