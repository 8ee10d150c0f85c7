#include "router/resync/server_identity.h"

#include <charconv>
#include <string>

#include "protocol/model.h"
#include "protocol/text/client.h"

namespace memfleet::router::resync {
namespace {

template <class T>
bool ParseNumber(std::string_view s, T* out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

void TakeStat(std::string_view name_value, ServerIdentity* id, int64_t* uptime, int64_t* time) {
  const size_t sp = name_value.find(' ');
  if (sp == std::string_view::npos) return;
  const std::string_view name = name_value.substr(0, sp);
  const std::string_view value = name_value.substr(sp + 1);
  if (name == "pid") {
    ParseNumber(value, &id->pid);
  } else if (name == "uptime") {
    ParseNumber(value, uptime);
  } else if (name == "time") {
    ParseNumber(value, time);
  } else if (name == "cmd_flush") {
    ParseNumber(value, &id->cmd_flush);
  }
}

Verdict Compare(const ServerIdentity& known, const ServerIdentity& seen) {
  if (known.pid != seen.pid || known.started != seen.started) return Verdict::kRestarted;
  if (seen.cmd_flush > known.cmd_flush) return Verdict::kFlushed;
  return Verdict::kSame;
}

std::string_view VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kSame:
      return "same";
    case Verdict::kRestarted:
      return "restarted";
    case Verdict::kFlushed:
      return "flushed";
  }
  return "same";
}

Status FetchIdentity(cluster::BlockingConnection& conn, ServerIdentity* id) {
  protocol::Request req;
  req.op = protocol::Op::kStats;
  std::string out;
  protocol::text::ComposeRequest(req, &out);
  Status s = conn.SendAll(out);
  if (!s.ok()) return s;
  ServerIdentity got;
  int64_t uptime = -1;
  int64_t time = -1;
  for (;;) {
    protocol::Result r;
    protocol::ReplyParse p = protocol::text::ParseReply(conn.buffer(), protocol::Op::kStats, &r);
    if (p.status == protocol::ReplyStatus::kIncomplete) {
      s = conn.ReadMore();
      if (!s.ok()) return s;
      continue;
    }
    if (p.status == protocol::ReplyStatus::kMalformed || protocol::IsError(r.code)) {
      return Status::IoError(conn.address() + ": stats did not parse");
    }
    if (p.part == protocol::ReplyPart::kStat) TakeStat(r.text, &got, &uptime, &time);
    conn.Consume(p.consumed);
    if (p.part != protocol::ReplyPart::kStat) break;
  }
  if (got.pid == 0 || uptime < 0 || time < 0) {
    return Status::IoError(conn.address() + ": stats without pid, uptime and time");
  }
  got.started = time - uptime;
  *id = got;
  return Status::Ok();
}

}  // namespace memfleet::router::resync
