#include "libs/common/file_watcher.h"

#include <pthread.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/logging/logging.h"

namespace wecom_notify {
namespace {

std::size_t Hash(const std::string& content) { return std::hash<std::string>()(content); }

}  // namespace

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    std::string message = absl::StrCat("cannot read \"", path, "\": ", std::strerror(err));
    return err == EACCES ? absl::PermissionDeniedError(message) : absl::NotFoundError(message);
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::StatusOr<std::string> ReadSecret(const std::string& path) {
  absl::StatusOr<std::string> content = ReadWholeFile(path);
  if (!content.ok()) return content.status();
  const absl::string_view secret = absl::StripAsciiWhitespace(*content);
  if (secret.empty()) return absl::InvalidArgumentError(absl::StrCat("\"", path, "\" is empty"));
  return std::string(secret);
}

std::unique_ptr<FileWatcher> WatchSecretFile(Clock& clock, absl::Duration interval,
                                             const std::string& path,
                                             std::function<void(std::string)> apply) {
  auto watcher = std::make_unique<FileWatcher>(
      clock, interval, path, ReadWholeFile(path).value_or(""),
      [path] { return ReadWholeFile(path); },
      [path, apply = std::move(apply)]() -> absl::Status {
        absl::StatusOr<std::string> secret = ReadSecret(path);
        if (!secret.ok()) return secret.status();
        apply(*std::move(secret));
        logging::Info("secret file changed; in use now", {{"file", path}});
        return absl::OkStatus();
      });
  watcher->Start();
  return watcher;
}

FileWatcher::FileWatcher(Clock& clock, absl::Duration interval, std::string name,
                         const std::string& initial, ReadFn read, ChangeFn on_change)
    : clock_(clock),
      interval_(interval),
      name_(std::move(name)),
      read_(std::move(read)),
      on_change_(std::move(on_change)),
      last_hash_(Hash(initial)),
      next_poll_(clock.Now() + interval) {}

FileWatcher::~FileWatcher() { Stop(); }

FileWatcher::Outcome FileWatcher::Tick() {
  const absl::Time now = clock_.Now();
  if (now < next_poll_) return Outcome::kNotDue;
  next_poll_ = now + interval_;
  auto content = read_();
  if (!content.ok()) {
    if (!unreadable_) {
      logging::Warn("watched file cannot be read; keeping the running configuration",
                    {{"file", name_}, {"err", content.status().message()}});
    }
    unreadable_ = true;
    return Outcome::kUnreadable;
  }
  unreadable_ = false;
  const std::size_t hash = Hash(*content);
  if (hash == last_hash_) return Outcome::kUnchanged;
  // Whatever on_change says, this content has been acted on: a bad one is not retried.
  last_hash_ = hash;
  logging::Info("watched file changed; reloading", {{"file", name_}});
  if (absl::Status status = on_change_(); !status.ok()) {
    logging::Warn("changed file rejected; it is not tried again until it changes",
                  {{"file", name_}, {"err", status.message()}});
    return Outcome::kFailed;
  }
  return Outcome::kApplied;
}

void FileWatcher::Start() {
  absl::MutexLock lock(&mu_);
  if (thread_.joinable() || stop_) return;
  thread_ = std::thread([this] { Run(); });
  pthread_setname_np(thread_.native_handle(), "config-watch");
}

void FileWatcher::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void FileWatcher::Run() {
  absl::MutexLock lock(&mu_);
  while (!stop_) {
    mu_.Unlock();
    Tick();
    mu_.Lock();
    const absl::Duration until = next_poll_ - clock_.Now();
    mu_.AwaitWithTimeout(absl::Condition(&stop_),
                         std::clamp(until, absl::Milliseconds(1), absl::Seconds(1)));
  }
}

}  // namespace wecom_notify
