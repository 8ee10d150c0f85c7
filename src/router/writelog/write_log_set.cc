#include "router/writelog/write_log_set.h"

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

#include <chrono>
#include <cstring>

#include "router/writelog/record_scanner.h"

namespace memfleet::router::writelog {
namespace {

Status MakeDirs(const std::string& dir) {
  std::string path;
  size_t at = 0;
  while (at != std::string::npos) {
    at = dir.find('/', at + 1);
    path = dir.substr(0, at);
    if (path.empty()) continue;
    if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
      return Status::IoError("--write-log-dir " + dir + ": " + path + ": " + std::strerror(errno));
    }
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Status::IoError("--write-log-dir " + dir + ": not a directory");
  }
  return Status::Ok();
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

Result<std::unique_ptr<WriteLogSet>> WriteLogSet::Open(const WriteLogOptions& options) {
  if (options.dir.empty()) return Status::InvalidArgument("--write-log-dir is empty");
  Status s = MakeDirs(options.dir);
  if (!s.ok()) return s;
  std::unique_ptr<WriteLogSet> set(new WriteLogSet(options));
  DIR* d = ::opendir(options.dir.c_str());
  if (d == nullptr) {
    return Status::IoError("--write-log-dir " + options.dir + ": " + std::strerror(errno));
  }
  std::vector<std::string> files;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (EndsWith(name, ".wlog")) files.push_back(options.dir + "/" + name);
  }
  ::closedir(d);
  for (const std::string& path : files) {
    // The header names the server; the file name is only a readable label for it.
    Result<LogFile> file = LogFile::Open(path);
    if (!file.ok()) return file.status();
    std::string address = file->header().address;
    Result<std::unique_ptr<WriteLog>> log = WriteLog::Open(path, address, options);
    if (!log.ok()) return log.status();
    set->logs_[address] = std::move(log.value());
  }
  if (options.fsync == FsyncPolicy::kInterval) {
    set->flusher_ = std::thread([raw = set.get()] { raw->RunFlusher(); });
  }
  return set;
}

WriteLogSet::~WriteLogSet() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (flusher_.joinable()) flusher_.join();
}

void WriteLogSet::RunFlusher() {
  std::unique_lock lock(mu_);
  for (;;) {
    stop_cv_.wait_for(lock, std::chrono::milliseconds(options_.fsync_interval_ms),
                      [this] { return stopping_; });
    if (stopping_) return;
    std::vector<WriteLog*> logs;
    for (auto& [address, log] : logs_) logs.push_back(log.get());
    lock.unlock();
    for (WriteLog* log : logs) log->SyncIfDirty();
    lock.lock();
  }
}

Result<WriteLog*> WriteLogSet::ForServer(std::string_view address) {
  std::lock_guard lock(mu_);
  auto it = logs_.find(address);
  if (it != logs_.end()) return it->second.get();
  std::string path = options_.dir + "/" + LogFileName(address);
  Result<std::unique_ptr<WriteLog>> log = WriteLog::Open(path, address, options_);
  if (!log.ok()) return log.status();
  WriteLog* raw = log->get();
  logs_.emplace(std::string(address), std::move(log.value()));
  return raw;
}

std::vector<WriteLog*> WriteLogSet::All() const {
  std::lock_guard lock(mu_);
  std::vector<WriteLog*> out;
  for (const auto& [address, log] : logs_) out.push_back(log.get());
  return out;
}

}  // namespace memfleet::router::writelog
