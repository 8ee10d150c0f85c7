#include "router/writelog/replayer.h"

#include <utility>

namespace memfleet::router::writelog {
namespace {

using protocol::ResultCode;

bool NeverSucceeds(const protocol::Result& r) {
  return r.code == ResultCode::kClientError ||
         (r.code == ResultCode::kRemoteError && r.detail == protocol::ErrorDetail::kTooLarge);
}

}  // namespace

std::string_view ReplayOutcomeName(ReplayOutcome o) {
  switch (o) {
    case ReplayOutcome::kCaughtUp:
      return "caught_up";
    case ReplayOutcome::kResynced:
      return "resynced";
    case ReplayOutcome::kNeedsResync:
      return "needs_resync";
    case ReplayOutcome::kFailed:
      return "failed";
    case ReplayOutcome::kIoError:
      return "io_error";
  }
  return "failed";
}

WriteLogReplayer::WriteLogReplayer(WriteLog& log, ReplaySink& sink, ReplayOptions options,
                                   std::function<void()> on_caught_up, DoneFn done)
    : log_(log),
      sink_(sink),
      options_(options),
      on_caught_up_(std::move(on_caught_up)),
      done_(std::move(done)),
      slots_(options.window == 0 ? 1 : options.window) {
  for (Slot& s : slots_) s.owner = this;
  flush_.owner = this;
}

void WriteLogReplayer::Slot::OnReply(const protocol::Result& r) {
  if (protocol::IsHit(r.code) || protocol::IsMiss(r.code)) {
    disposition = Disposition::kReplayed;
  } else if (NeverSucceeds(r)) {
    disposition = Disposition::kSkipped;
  } else {
    disposition = Disposition::kFailed;
    if (owner->error_.empty()) {
      owner->error_ = "replaying seq " + std::to_string(entry.record.seq) + ": " +
                      std::string(protocol::ResultCodeName(r.code));
    }
  }
  owner->Pump();
}

void WriteLogReplayer::FlushReceiver::OnReply(const protocol::Result& r) {
  WriteLogReplayer* o = owner;
  --o->inflight_;
  if (r.code != ResultCode::kOk) {
    o->Finish(ReplayOutcome::kFailed,
              "flush_all for a resync: " + std::string(protocol::ResultCodeName(r.code)));
    return;
  }
  Status s = o->log_.ClearResync(o->on_caught_up_);
  if (!s.ok()) {
    o->Finish(ReplayOutcome::kIoError, s.message());
    return;
  }
  o->Finish(ReplayOutcome::kResynced, "");
}

void WriteLogReplayer::Start() {
  running_ = true;
  failed_ = false;
  resyncing_ = false;
  error_.clear();
  batch_.entries.clear();
  batch_pos_ = 0;
  epoch_ = 0;
  read_offset_ = 0;
  acked_offset_ = 0;
  uncommitted_ = 0;
  Pump();
}

void WriteLogReplayer::Retire() {
  while (inflight_ > 0) {
    Slot& s = slots_[head_];
    if (s.disposition == Disposition::kPending) return;
    if (s.disposition == Disposition::kFailed) failed_ = true;
    // After a failure nothing more is acknowledged: the log keeps everything from the first
    // failed record on, even records whose later replies were good (they are applied again).
    if (!failed_) {
      acked_offset_ = s.entry.end_offset;
      ++uncommitted_;
      if (s.disposition == Disposition::kReplayed) {
        ++replayed_;
      } else {
        ++skipped_;
      }
    }
    s.disposition = Disposition::kPending;
    head_ = (head_ + 1) % slots_.size();
    --inflight_;
  }
}

void WriteLogReplayer::Commit() {
  if (uncommitted_ == 0) return;
  log_.CommitReplayed(epoch_, acked_offset_, uncommitted_);
  uncommitted_ = 0;
}

void WriteLogReplayer::Pump() {
  // A reply may come inside Send (a server that fails fast); the outer Pump carries on.
  if (pumping_ || !running_ || resyncing_) return;
  pumping_ = true;
  for (;;) {
    Retire();
    if (failed_) {
      if (inflight_ > 0) break;  // wait for the rest of the window
      Commit();
      Finish(ReplayOutcome::kFailed, error_);
      break;
    }
    if (uncommitted_ >= options_.commit_every) Commit();
    if (inflight_ == slots_.size()) break;
    // A batch read before the log was emptied (its bound passed) is not sent any further.
    if (batch_pos_ < batch_.entries.size() && log_.epoch() != epoch_) batch_.entries.clear();
    if (batch_pos_ < batch_.entries.size()) {
      Slot& s = slots_[(head_ + inflight_) % slots_.size()];
      s.entry = std::move(batch_.entries[batch_pos_++]);
      s.disposition = Disposition::kPending;
      ++inflight_;
      ++sent_;
      protocol::Request req = s.entry.record.ToRequest();
      sink_.Send(req, s);
      continue;
    }
    // The batch is sent: read the next one.
    batch_pos_ = 0;
    Status st = log_.ReadForReplay(read_offset_, options_.read_batch, &batch_);
    if (st.ok() && epoch_ == 0) epoch_ = batch_.epoch;
    const bool emptied = st.ok() && batch_.epoch != epoch_;  // the bound was passed meanwhile
    if (!st.ok() || emptied || (batch_.entries.empty() && log_.needs_resync())) {
      batch_.entries.clear();
      if (inflight_ > 0) break;  // come back when the window has drained
      if (!st.ok()) {
        Finish(ReplayOutcome::kIoError, st.message());
      } else {
        pumping_ = false;
        StartResync();
        return;
      }
      break;
    }
    if (!batch_.entries.empty()) {
      read_offset_ = batch_.entries.back().end_offset;
      continue;
    }
    if (inflight_ > 0) break;  // nothing more to read yet; replies will call back
    Commit();
    if (log_.FinishIfCaughtUp(epoch_, acked_offset_, on_caught_up_)) {
      Finish(ReplayOutcome::kCaughtUp, "");
      break;
    }
    // Writes arrived after the last read: read on.
  }
  pumping_ = false;
}

void WriteLogReplayer::StartResync() {
  if (!options_.flush_on_resync) {
    Finish(ReplayOutcome::kNeedsResync, "");
    return;
  }
  resyncing_ = true;
  protocol::Request flush;
  flush.op = protocol::Op::kFlushAll;
  flush.protocol = protocol::Protocol::kText;
  ++inflight_;
  sink_.Send(flush, flush_);
}

void WriteLogReplayer::Finish(ReplayOutcome o, std::string error) {
  running_ = false;
  resyncing_ = false;
  if (done_) done_(o, error);
}

}  // namespace memfleet::router::writelog
