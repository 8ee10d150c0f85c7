// memfleet-writelog FILE...: prints the records of memfleet-router write log files, one line per
// record (text, or JSON lines with --json), values escaped with --values. Exit status 0 when
// every file read cleanly, 1 when one is damaged (its good records are printed first, the
// problem goes to stderr with its file offset), 2 on a usage error.
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "router/writelog/record_scanner.h"

namespace {

using memfleet::router::writelog::LogFile;
using memfleet::router::writelog::LogRecord;
using memfleet::router::writelog::RecordOpName;
using memfleet::router::writelog::RecordScanner;

struct Options {
  bool json = false;
  bool values = false;
  std::vector<std::string> files;
};

// C-style escapes for text output: printable ASCII as is, \\ \n \r \t, \xHH for the rest.
std::string EscapeText(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u >= 0x7f || c == ' ') {
      out += "\\x";
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// A JSON string: bytes that are not printable ASCII become \u00XX (one code point per byte), so
// that any key or value round-trips through a JSON reader as Latin-1.
std::string JsonString(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20 || u >= 0x7f) {
      out += "\\u00";
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

void PrintRecord(const Options& o, const std::string& file, const LogRecord& r) {
  std::string line;
  if (o.json) {
    line = "{\"file\":" + JsonString(file) + ",\"seq\":" + std::to_string(r.seq) +
           ",\"time_ms\":" + std::to_string(r.time_ms) +
           ",\"op\":" + JsonString(RecordOpName(r.op)) + ",\"key\":" + JsonString(r.key) +
           ",\"flags\":" + std::to_string(r.client_flags) +
           ",\"exptime\":" + std::to_string(r.exptime) +
           ",\"value_length\":" + std::to_string(r.value.size());
    if (r.op == memfleet::protocol::Op::kIncr || r.op == memfleet::protocol::Op::kDecr) {
      line += ",\"delta\":" + std::to_string(r.delta);
      if (r.create) line += ",\"initial\":" + std::to_string(r.initial);
    }
    if (o.values) line += ",\"value\":" + JsonString(r.value);
    line += "}";
  } else {
    line = std::to_string(r.seq) + " " + std::to_string(r.time_ms) + " " +
           std::string(RecordOpName(r.op)) + " " + EscapeText(r.key) + " " +
           std::to_string(r.client_flags) + " " + std::to_string(r.exptime) + " " +
           std::to_string(r.value.size());
    if (r.op == memfleet::protocol::Op::kIncr || r.op == memfleet::protocol::Op::kDecr) {
      line += " delta=" + std::to_string(r.delta);
      if (r.create) line += " initial=" + std::to_string(r.initial);
    }
    if (o.values) line += " " + EscapeText(r.value);
  }
  line += "\n";
  std::fwrite(line.data(), 1, line.size(), stdout);
}

// Prints one file; false when it is damaged or unreadable.
bool PrintFile(const Options& o, const std::string& path) {
  auto file = LogFile::Open(path);
  if (!file.ok()) {
    std::fprintf(stderr, "memfleet-writelog: %s\n", file.status().message().c_str());
    return false;
  }
  const auto& h = file->header();
  if (o.json) {
    std::string line = "{\"file\":" + JsonString(path) + ",\"server\":" + JsonString(h.address) +
                       ",\"first_seq\":" + std::to_string(h.first_seq) +
                       ",\"start_offset\":" + std::to_string(h.start_offset) +
                       ",\"needs_resync\":" + (h.needs_resync() ? "true" : "false") +
                       ",\"dropped\":" + std::to_string(h.dropped) + "}\n";
    std::fwrite(line.data(), 1, line.size(), stdout);
  } else {
    std::printf("# %s server=%s first_seq=%llu start_offset=%llu needs_resync=%d dropped=%llu\n",
                path.c_str(), EscapeText(h.address).c_str(),
                static_cast<unsigned long long>(h.first_seq),
                static_cast<unsigned long long>(h.start_offset), h.needs_resync() ? 1 : 0,
                static_cast<unsigned long long>(h.dropped));
  }
  RecordScanner scan = file->Records();
  LogRecord r;
  for (;;) {
    uint64_t at = scan.offset();
    switch (scan.Next(&r)) {
      case RecordScanner::Step::kRecord:
        PrintRecord(o, path, r);
        continue;
      case RecordScanner::Step::kEnd:
        std::fflush(stdout);
        return true;
      default:
        std::fflush(stdout);
        std::fprintf(stderr, "memfleet-writelog: %s: damaged record at offset %llu: %s\n",
                     path.c_str(), static_cast<unsigned long long>(at), scan.error().c_str());
        return false;
    }
  }
}

int Usage() {
  std::fprintf(stderr,
               "usage: memfleet-writelog [--json] [--values] FILE...\n"
               "  prints each record of memfleet-router write logs: seq, time (unix ms), op,\n"
               "  key, flags, exptime, value length (--values: the value, escaped)\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--json") {
      o.json = true;
    } else if (a == "--values") {
      o.values = true;
    } else if (a == "-h" || a == "--help") {
      Usage();
      return 0;
    } else if (a.starts_with("-") && a != "-") {
      std::fprintf(stderr, "memfleet-writelog: unknown option %s\n", argv[i]);
      return Usage();
    } else {
      o.files.emplace_back(a);
    }
  }
  if (o.files.empty()) return Usage();
  bool ok = true;
  for (const std::string& f : o.files) ok = PrintFile(o, f) && ok;
  return ok ? 0 : 1;
}
