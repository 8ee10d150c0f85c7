// Helpers for the write log's unit tests: a temporary directory removed at the end of the test,
// and random requests of every logged operation. Test-only.
#pragma once

#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <random>
#include <string>

#include "protocol/model.h"

namespace memfleet::router::writelog::testing {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/memfleet_wlog_XXXXXX";
    char* p = ::mkdtemp(tmpl);
    path_ = p != nullptr ? p : "/tmp";
  }
  ~TempDir() {
    if (DIR* d = ::opendir(path_.c_str())) {
      while (dirent* e = ::readdir(d)) {
        std::string name = e->d_name;
        if (name != "." && name != "..") ::unlink((path_ + "/" + name).c_str());
      }
      ::closedir(d);
    }
    ::rmdir(path_.c_str());
  }
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline uint64_t FileSize(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

// A request whose views point into the strings it owns.
struct OwnedRequest {
  std::string key;
  std::string value;
  protocol::Request req;
  OwnedRequest(protocol::Op op, std::string k, std::string v = "")
      : key(std::move(k)), value(std::move(v)) {
    req.op = op;
    req.protocol = protocol::Protocol::kText;
    req.key = key;
    req.keys = key;
    req.value = value;
    req.value_length = static_cast<uint32_t>(value.size());
  }
  OwnedRequest(const OwnedRequest&) = delete;
};

inline std::string RandomBytes(std::mt19937_64& rng, size_t n, bool binary) {
  std::string s(n, 'x');
  for (char& c : s) {
    c = binary ? static_cast<char>(rng() & 0xff) : static_cast<char>('!' + rng() % 94);
  }
  return s;
}

}  // namespace memfleet::router::writelog::testing
