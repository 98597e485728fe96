// Starts the real wecom-sim binary on 127.0.0.1:0, talks HTTP to it, stops it by PID.

#include <curl/curl.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace {

using json = nlohmann::json;

struct HttpResult {
  long status = 0;
  std::string body;
};

size_t Append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

HttpResult Http(const std::string& method, const std::string& url, const std::string& body = "") {
  HttpResult result;
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &result.body);
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  if (method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  if (curl_easy_perform(curl) == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return result;
}

// The errcode of a WeCom answer; -99 when the body is not a JSON object with one.
int Errcode(const std::string& body) {
  json j = json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("errcode") || !j["errcode"].is_number_integer()) return -99;
  return j["errcode"].get<int>();
}

// A child process with its stdout on a pipe; killed (SIGKILL) and reaped if still running.
class Child {
 public:
  ~Child() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (stdout_fd_ >= 0) close(stdout_fd_);
  }

  bool Start(const std::string& binary, const std::vector<std::string>& args) {
    int fds[2];
    if (pipe(fds) != 0) return false;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], STDOUT_FILENO);
      close(fds[0]);
      close(fds[1]);
      std::vector<char*> argv = {const_cast<char*>(binary.c_str())};
      for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(binary.c_str(), argv.data());
      _exit(127);
    }
    close(fds[1]);
    stdout_fd_ = fds[0];
    return pid_ > 0;
  }

  // Reads stdout until a full line arrives or `timeout` passes.
  std::string ReadLine(absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    std::string line;
    while (absl::Now() < deadline) {
      pollfd p = {stdout_fd_, POLLIN, 0};
      const int ms = static_cast<int>(absl::ToInt64Milliseconds(deadline - absl::Now()));
      if (poll(&p, 1, ms > 0 ? ms : 0) <= 0) break;
      char c;
      if (read(stdout_fd_, &c, 1) != 1) break;
      if (c == '\n') return line;
      line.push_back(c);
    }
    return line;
  }

  // Sends `signal` and waits (bounded) for the exit; the exit status, or -1 on timeout.
  int Stop(int signal, absl::Duration timeout) {
    kill(pid_, signal);
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
};

TEST(WecomSimBinaryTest, StartsFastServesWeComAndStopsOnSigterm) {
  const char* bin_dir = std::getenv("WECOM_NOTIFY_BIN_DIR");
  ASSERT_NE(bin_dir, nullptr) << "WECOM_NOTIFY_BIN_DIR is set by tests/CMakeLists.txt";
  Child sim;
  const absl::Time start = absl::Now();
  ASSERT_TRUE(
      sim.Start(absl::StrCat(bin_dir, "/wecom-sim"),
                {"--web.listen-address=127.0.0.1:0", "--token.lifetime=60s", "--log.level=warn"}));
  const std::string line = sim.ReadLine(absl::Seconds(5));
  const absl::Duration startup = absl::Now() - start;
  ASSERT_TRUE(absl::StartsWith(line, "wecom-sim listening on 127.0.0.1:")) << line;
  EXPECT_LT(startup, absl::Seconds(1));
  int port = 0;
  ASSERT_TRUE(absl::SimpleAtoi(line.substr(line.rfind(':') + 1), &port)) << line;
  const std::string base = absl::StrCat("http://127.0.0.1:", port);

  HttpResult gettoken =
      Http("GET", base + "/cgi-bin/gettoken?corpid=ww-sim-corp&corpsecret=sim-secret-1000002");
  ASSERT_EQ(gettoken.status, 200);
  ASSERT_EQ(Errcode(gettoken.body), 0) << gettoken.body;
  json token = json::parse(gettoken.body);
  EXPECT_EQ(token["expires_in"], 60);

  const json message = {{"touser", "zhangsan"},
                        {"msgtype", "markdown"},
                        {"agentid", 1000002},
                        {"markdown", {{"content", "**磁盘** <font color=\"warning\">90%</font>"}}}};
  HttpResult sent =
      Http("POST",
           base + "/cgi-bin/message/send?access_token=" + token["access_token"].get<std::string>(),
           message.dump());
  EXPECT_EQ(sent.status, 200);
  EXPECT_EQ(Errcode(sent.body), 0) << sent.body;

  // A slow-answer fault is applied by the HTTP layer: other requests are not held up.
  HttpResult fault = Http("POST", base + "/sim/faults",
                          R"({"endpoint":"webhook/send","delay_ms":500,"errcode":-1})");
  EXPECT_EQ(fault.status, 200) << fault.body;
  const absl::Time before = absl::Now();
  HttpResult slow;
  absl::Duration slow_took;
  std::thread slow_client([&] {
    slow = Http("POST", base + "/cgi-bin/webhook/send?key=sim-robot-key-1",
                R"({"msgtype":"text","text":{"content":"x"}})");
    slow_took = absl::Now() - before;
  });
  absl::SleepFor(absl::Milliseconds(100));  // let the slow request arrive first
  HttpResult quick = Http("GET", base + "/sim/healthz");
  const absl::Duration quick_took = absl::Now() - before;
  slow_client.join();
  EXPECT_EQ(quick.status, 200);
  EXPECT_LT(quick_took, absl::Milliseconds(400));
  EXPECT_GE(slow_took, absl::Milliseconds(500));
  EXPECT_EQ(Errcode(slow.body), -1) << slow.body;

  HttpResult inbox = Http("GET", base + "/sim/messages?touser=zhangsan");
  ASSERT_EQ(inbox.status, 200);
  json all = json::parse(inbox.body, nullptr, false);
  ASSERT_TRUE(all.is_object() && all.contains("messages")) << inbox.body;
  json messages = all["messages"];
  ASSERT_EQ(messages.size(), 1u) << inbox.body;
  EXPECT_EQ(messages[0]["content"]["content"], "**磁盘** <font color=\"warning\">90%</font>");
  EXPECT_TRUE(absl::StrContains(inbox.body, "磁盘"));  // raw UTF-8

  EXPECT_EQ(Http("GET", base + "/sim/healthz").status, 200);
  EXPECT_EQ(sim.Stop(SIGTERM, absl::Seconds(5)), 0);
}

TEST(WecomSimBinaryTest, BadFlagExitsWithUsageError) {
  const char* bin_dir = std::getenv("WECOM_NOTIFY_BIN_DIR");
  ASSERT_NE(bin_dir, nullptr);
  Child sim;
  ASSERT_TRUE(sim.Start(absl::StrCat(bin_dir, "/wecom-sim"),
                        {"--web.listen-address=127.0.0.1:0", "--rate-limits=sometimes"}));
  EXPECT_EQ(sim.Stop(0, absl::Seconds(5)), 2);  // signal 0: just wait for the exit
}

}  // namespace
