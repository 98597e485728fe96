#include "tests/testing/testing.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"

namespace wecom_notify::testing {

std::string BinPath(const std::string& name) {
  const char* dir = std::getenv("WECOM_NOTIFY_BIN_DIR");
  return absl::StrCat(dir ? dir : ".", "/", name);
}

namespace {

// Removes the directories MakeTempDir made once every test has run, if all passed.
class TempDirCleanup : public ::testing::Environment {
 public:
  void Add(std::string dir) {
    absl::MutexLock lock(&mu_);
    dirs_.push_back(std::move(dir));
  }

  void TearDown() override {
    absl::MutexLock lock(&mu_);
    const bool passed = ::testing::UnitTest::GetInstance()->Passed();
    for (const std::string& dir : dirs_) {
      if (!passed) {
        std::cerr << "kept for reading: " << dir << std::endl;
        continue;
      }
      std::error_code ignored;  // a directory a test removed itself is fine
      std::filesystem::remove_all(dir, ignored);
    }
    dirs_.clear();
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> dirs_ ABSL_GUARDED_BY(mu_);
};

// gtest owns it. Registered before main() (below) so that RUN_ALL_TESTS runs its TearDown, and
// made on first use, should a static initializer elsewhere make a directory before that.
TempDirCleanup& Cleanup() {
  static TempDirCleanup* const cleanup =
      static_cast<TempDirCleanup*>(::testing::AddGlobalTestEnvironment(new TempDirCleanup));
  return *cleanup;
}
[[maybe_unused]] TempDirCleanup& registered_before_main = Cleanup();

}  // namespace

std::string MakeTempDir(const std::string& prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = absl::StrCat(base ? base : "/tmp", "/", prefix, "-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) {
    std::cerr << "mkdtemp failed for " << pattern << std::endl;
    std::abort();
  }
  Cleanup().Add(pattern);
  return pattern;
}

absl::StatusOr<TlsFiles> MakeSelfSignedCert(const std::string& dir) {
  TlsFiles files{dir + "/tls.crt", dir + "/tls.key"};
  auto openssl = Process::Start(
      {"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", files.key,
       "-out", files.cert, "-days", "1", "-subj", "/CN=127.0.0.1"},
      dir + "/openssl.log");
  if (!openssl.ok()) return openssl.status();
  if ((*openssl)->Stop(0, absl::Seconds(30)) != 0) {
    return absl::InternalError(absl::StrCat("openssl failed: ", (*openssl)->Output()));
  }
  return files;
}

namespace {

// The ports the kernel hands out to bind(port 0) and to every outgoing connection: a port found
// free there may be taken by any client socket of a parallel test before the server that was to
// listen on it binds it. Ports below the range are only ever taken by an explicit bind.
std::pair<int, int> EphemeralPortRange() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 32768, high = 60999;
  in >> low >> high;
  return {low, high};
}

// Binds 127.0.0.1:`port` (0: any) and returns the port bound, or 0.
int BindAndRelease(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  socklen_t len = sizeof(addr);
  const bool bound = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
                     getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  close(fd);
  return bound ? ntohs(addr.sin_port) : 0;
}

}  // namespace

int FreePort() {
  // Below the ephemeral range, at random: parallel tests pick the same port only by chance.
  constexpr int kLowest = 10000;
  const int ephemeral_low = EphemeralPortRange().first;
  if (ephemeral_low - kLowest >= 1000) {
    thread_local std::mt19937 random(std::random_device{}());
    std::uniform_int_distribution<int> pick(kLowest, ephemeral_low - 1);
    for (int attempt = 0; attempt < 100; ++attempt) {
      if (const int port = BindAndRelease(pick(random)); port != 0) return port;
    }
  }
  const int port = BindAndRelease(0);
  if (port == 0) {
    std::cerr << "FreePort: cannot bind 127.0.0.1:0" << std::endl;
    std::abort();
  }
  return port;
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) {
    std::cerr << "cannot write " << path << std::endl;
    std::abort();
  }
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::StatusOr<std::unique_ptr<Process>> Process::Start(std::vector<std::string> argv,
                                                        const std::string& log_path) {
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      close(fd);
    }
    // Dies with the test binary even if that is killed before it can stop us.
    setpgid(0, 0);
    execv(args[0], args.data());
    std::cerr << "execv " << args[0] << " failed" << std::endl;
    _exit(127);
  }
  return std::unique_ptr<Process>(new Process(pid, log_path));
}

bool Process::Running() {
  if (reaped_) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    reaped_ = true;
    wait_status_ = status;
    return false;
  }
  return true;
}

int Process::Stop(int signal, absl::Duration timeout) {
  if (!Running()) return wait_status_;
  kill(pid_, signal);
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (!Running()) return wait_status_;
    absl::SleepFor(absl::Milliseconds(10));
  }
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  reaped_ = true;
  wait_status_ = status;
  return status;
}

Process::~Process() {
  if (Running()) Stop(SIGKILL, absl::Seconds(5));
}

std::string Process::Output() const { return ReadFile(log_path_); }

namespace {

size_t AppendBody(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

}  // namespace

HttpResult HttpRequest(const std::string& method, const std::string& url, const std::string& body,
                       const std::vector<std::string>& headers, absl::Duration timeout) {
  HttpResult result;
  CURL* curl = curl_easy_init();
  curl_slist* header_list = nullptr;
  for (const auto& h : headers) header_list = curl_slist_append(header_list, h.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (method == "HEAD") curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  if (!body.empty() || method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, header_list);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(absl::ToInt64Milliseconds(timeout)));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  // Tests talk to their own servers with throw-away self-signed certificates.
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &result.body);
  CURLcode code = curl_easy_perform(curl);
  if (code == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
  } else {
    result.error = curl_easy_strerror(code);
  }
  curl_slist_free_all(header_list);
  curl_easy_cleanup(curl);
  return result;
}

bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout, absl::Duration step) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (condition()) return true;
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(step);
  }
}

}  // namespace wecom_notify::testing
