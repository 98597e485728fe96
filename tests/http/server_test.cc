#include "libs/http/server.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "tests/testing/mutate.h"
#include "tests/testing/testing.h"

namespace wecom_notify::http {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// A raw client socket: for what libcurl would smooth over (keep-alive reuse, garbage bytes,
// slow senders).
class RawClient {
 public:
  explicit RawClient(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    timeval tv{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  ~RawClient() { close(fd_); }

  bool connected() const { return connected_; }
  // Tells the server nothing more will be sent (it sees end of stream after the bytes sent).
  void FinishSending() { shutdown(fd_, SHUT_WR); }
  void Send(const std::string& bytes) { ASSERT_EQ(write(fd_, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size())); }
  // Reads until the peer closes or `until` appears; "" on timeout with nothing read.
  std::string Read(const std::string& until = "") {
    std::string out;
    char buf[4096];
    while (true) {
      ssize_t n = read(fd_, buf, sizeof(buf));
      if (n <= 0) break;
      out.append(buf, n);
      if (!until.empty() && out.find(until) != std::string::npos) break;
    }
    return out;
  }
  // Reads until `bytes` bytes arrived (or the peer closed, or 5 s passed without a byte).
  std::string ReadBytes(std::size_t bytes) {
    std::string out;
    std::vector<char> buf(1 << 16);
    while (out.size() < bytes) {
      ssize_t n = read(fd_, buf.data(), std::min(buf.size(), bytes - out.size()));
      if (n <= 0) break;
      out.append(buf.data(), n);
    }
    return out;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

class HttpServerTest : public ::testing::Test {
 protected:
  void StartServer(ServerOptions options = {}) {
    Router router;
    router.Add("GET", "/hello", [](const Request& r, Responder respond) {
      std::move(respond)(Response::Text(200, absl::StrCat("hello ", r.query)));
    });
    router.Add("POST", "/echo", [](const Request& r, Responder respond) {
      std::move(respond)(Response::Text(200, r.body));
    });
    router.Add("POST", "/spare", [](const Request& r, Responder respond) {
      // The body's length, its spare capacity and its last byte.
      std::move(respond)(Response::Text(
          200, absl::StrCat(r.body.size(), " ", r.body.capacity() - r.body.size(), " ",
                            r.body.empty() ? std::string() : r.body.substr(r.body.size() - 1))));
    });
    router.Add("GET", "/later", [](const Request&, Responder respond) {
      // Answer from another thread, after the handler returned.
      std::thread([respond = std::move(respond)]() mutable {
        absl::SleepFor(absl::Milliseconds(20));
        std::move(respond)(Response::Text(202, "later"));
      }).detach();
    });
    router.Add("GET", "/forgets", [](const Request&, Responder) {});
    router.Add("GET", "/big-later", [this](const Request&, Responder respond) {
      // From another thread, more than the socket takes at once; `big_answered_` once the
      // Responder returned.
      std::thread([this, respond = std::move(respond)]() mutable {
        std::move(respond)(Response::Text(200, std::string(kBigBody, 'x')));
        big_answered_.Notify();
      }).detach();
    });
    router.Add("GET", "/held", [this](const Request&, Responder respond) {
      held_ = std::move(respond);
      held_arrived_.Notify();
    });
    router.Add("GET", "/query", [](const Request& r, Responder respond) {
      std::string out;
      for (auto& [k, v] : r.QueryParams()) absl::StrAppend(&out, k, "=", v, ";");
      std::move(respond)(Response::Text(200, out));
    });
    options.listen_address = "127.0.0.1:0";
    auto server = Server::Start(options, std::move(router));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  std::string Url(const std::string& path) {
    return absl::StrCat("http://127.0.0.1:", server_->port(), path);
  }

  static constexpr std::size_t kBigBody = 32 << 20;
  absl::Notification big_answered_;
  Responder held_;
  absl::Notification held_arrived_;
  std::unique_ptr<Server> server_;
};

TEST_F(HttpServerTest, ServesRoutes) {
  StartServer();
  auto r = testing::HttpRequest("GET", Url("/hello?x=1"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello x=1");
  EXPECT_EQ(testing::HttpRequest("POST", Url("/echo"), "body!").body, "body!");
}

TEST_F(HttpServerTest, UnknownPathIs404WrongMethodIs405) {
  StartServer();
  EXPECT_EQ(testing::HttpRequest("GET", Url("/nope")).status, 404);
  EXPECT_EQ(testing::HttpRequest("DELETE", Url("/hello")).status, 405);
}

TEST_F(HttpServerTest, HeadIsServedByGetWithoutBody) {
  StartServer();
  auto r = testing::HttpRequest("HEAD", Url("/hello"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");
}

TEST_F(HttpServerTest, AnswersFromAnotherThread) {
  StartServer();
  auto r = testing::HttpRequest("GET", Url("/later"));
  EXPECT_EQ(r.status, 202);
  EXPECT_EQ(r.body, "later");
}

// A big answer from another thread (more than the socket takes at once) arrives whole, and
// the connection then serves its next request.
void ExpectBigAnswerArrivesWholeAndTheConnectionGoesOn(int port, absl::Notification& answered,
                                                       std::size_t body_size) {
  RawClient client(port);
  ASSERT_TRUE(client.connected());
  client.Send("GET /big-later HTTP/1.1\r\nHost: x\r\n\r\n");
  // Not reading until the answer was handed over: the socket's buffers fill, and the
  // answering thread must not wait for this client.
  ASSERT_TRUE(answered.WaitForNotificationWithTimeout(absl::Seconds(10)));
  const std::string head = client.Read("\r\n\r\n");
  ASSERT_THAT(head, StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(head, HasSubstr(absl::StrCat("Content-Length: ", body_size)));
  const std::size_t body_start = head.find("\r\n\r\n") + 4;
  const std::string rest = client.ReadBytes(body_size - (head.size() - body_start));
  EXPECT_EQ(head.size() - body_start + rest.size(), body_size);
  EXPECT_EQ(rest.find_first_not_of('x'), std::string::npos);
  client.Send("GET /hello?next HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THAT(client.Read("hello next"), StartsWith("HTTP/1.1 200"));
}

TEST_F(HttpServerTest, ABigAnswerWrittenByTheRespondingThreadArrivesWhole) {
  StartServer();
  ExpectBigAnswerArrivesWholeAndTheConnectionGoesOn(server_->port(), big_answered_, kBigBody);
}

TEST_F(HttpServerTest, ABigAnswerHandedToTheIoThreadsArrivesWhole) {
  ServerOptions options;
  options.answer_on_responding_thread = false;
  StartServer(options);
  ExpectBigAnswerArrivesWholeAndTheConnectionGoesOn(server_->port(), big_answered_, kBigBody);
}

// A client that does not read its answer is cut off once the read timeout passed, in both
// answering modes: the answer's write has a deadline.
void ExpectAnUnreadBigAnswerTimesOut(int port, absl::Notification& answered,
                                     std::size_t body_size) {
  RawClient client(port);
  ASSERT_TRUE(client.connected());
  client.Send("GET /big-later HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(answered.WaitForNotificationWithTimeout(absl::Seconds(10)));
  absl::SleepFor(absl::Milliseconds(1500));  // the 300 ms read timeout, and the sweep after it
  const std::string received = client.ReadBytes(body_size + 1024);
  EXPECT_THAT(received, StartsWith("HTTP/1.1 200"));
  EXPECT_LT(received.size(), body_size);  // the socket buffers held a part; the rest was cut
}

TEST_F(HttpServerTest, AnUnreadAnswerWrittenByTheRespondingThreadTimesOut) {
  ServerOptions options;
  options.read_timeout = absl::Milliseconds(300);
  StartServer(options);
  ExpectAnUnreadBigAnswerTimesOut(server_->port(), big_answered_, kBigBody);
}

TEST_F(HttpServerTest, AnUnreadAnswerHandedToTheIoThreadsTimesOut) {
  ServerOptions options;
  options.read_timeout = absl::Milliseconds(300);
  options.answer_on_responding_thread = false;
  StartServer(options);
  ExpectAnUnreadBigAnswerTimesOut(server_->port(), big_answered_, kBigBody);
}

// No timeout runs while a handler holds the request: the shim's answers wait on notifyd.
TEST_F(HttpServerTest, AHandlerMayHoldARequestLongerThanTheTimeouts) {
  ServerOptions options;
  options.read_timeout = absl::Milliseconds(100);
  options.idle_timeout = absl::Milliseconds(100);
  StartServer(options);
  RawClient client(server_->port());
  ASSERT_TRUE(client.connected());
  client.Send("GET /held HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(held_arrived_.WaitForNotificationWithTimeout(absl::Seconds(10)));
  absl::SleepFor(absl::Milliseconds(600));
  std::move(held_)(Response::Text(200, "held"));
  EXPECT_THAT(client.Read("held"), StartsWith("HTTP/1.1 200"));
}

TEST_F(HttpServerTest, AnAnswerAfterStopIsDropped) {
  StartServer();
  RawClient client(server_->port());
  ASSERT_TRUE(client.connected());
  client.Send("GET /held HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(held_arrived_.WaitForNotificationWithTimeout(absl::Seconds(10)));
  server_->Stop();
  std::move(held_)(Response::Text(200, "too late"));
  EXPECT_EQ(client.Read(), "");  // closed by Stop, nothing written after it
}

TEST_F(HttpServerTest, DroppedResponderBecomes500) {
  StartServer();
  EXPECT_EQ(testing::HttpRequest("GET", Url("/forgets")).status, 500);
}

TEST_F(HttpServerTest, QueryParamsAreDecodedAndRepeatable) {
  StartServer();
  EXPECT_EQ(testing::HttpRequest("GET", Url("/query?filter=a%3D%22b%22&filter=c+d&x")).body,
            "filter=a=\"b\";filter=c d;x=;");
}

TEST_F(HttpServerTest, OversizedBodyIs413) {
  ServerOptions options;
  options.max_body_bytes = 1024;
  StartServer(options);
  EXPECT_EQ(testing::HttpRequest("POST", Url("/echo"), std::string(1025, 'x')).status, 413);
  EXPECT_EQ(testing::HttpRequest("POST", Url("/echo"), std::string(1024, 'x')).status, 200);
}

// So that simdjson can parse a body where it lies (libs/alertmanager_json), also when the body
// arrives in several reads.
TEST_F(HttpServerTest, ABodyOfDeclaredLengthLeavesSpareCapacityPastItsEnd) {
  StartServer();
  RawClient client(server_->port());
  ASSERT_TRUE(client.connected());
  const std::string body = std::string(25000, 'a') + "z";
  client.Send(absl::StrCat("POST /spare HTTP/1.1\r\nHost: x\r\nContent-Length: ", body.size(),
                           "\r\n\r\n", body.substr(0, 1000)));
  absl::SleepFor(absl::Milliseconds(20));  // the server reads the first part on its own
  client.Send(body.substr(1000));
  const std::string answer = client.Read(" z");
  ASSERT_THAT(answer, StartsWith("HTTP/1.1 200"));
  const std::string fields = answer.substr(answer.find("\r\n\r\n") + 4);
  std::vector<std::string> parts = absl::StrSplit(fields, ' ');
  ASSERT_EQ(parts.size(), 3u) << fields;
  EXPECT_EQ(parts[0], "25001");
  std::size_t spare = 0;
  ASSERT_TRUE(absl::SimpleAtoi(parts[1], &spare)) << fields;
  EXPECT_GE(spare, kRequestBodySpareCapacity);
  EXPECT_EQ(parts[2], "z");
}

// The read buffer makes room for a declared body (up to one read's 64 KiB) and keeps it: bodies
// beyond one read, pipelined on one connection, still arrive whole and in order.
TEST_F(HttpServerTest, PipelinedBodiesLargerThanOneReadArriveWhole) {
  StartServer();
  RawClient client(server_->port());
  ASSERT_TRUE(client.connected());
  std::string requests;
  for (char last : {'x', 'y'}) {
    const std::string body = std::string(150000, 'a') + last;
    absl::StrAppend(&requests, "POST /spare HTTP/1.1\r\nHost: x\r\nContent-Length: ", body.size(),
                    "\r\n\r\n", body);
  }
  client.Send(requests);
  const std::string answers = client.Read(" y");
  const std::vector<std::string> answered =
      absl::StrSplit(answers, "HTTP/1.1 200", absl::SkipEmpty());
  ASSERT_EQ(answered.size(), 2u) << answers;
  EXPECT_THAT(answered[0], HasSubstr("\r\n\r\n150001 "));
  EXPECT_TRUE(absl::EndsWith(answered[0], " x")) << answered[0];
  EXPECT_THAT(answered[1], HasSubstr("\r\n\r\n150001 "));
  EXPECT_TRUE(absl::EndsWith(answered[1], " y")) << answered[1];
}

TEST_F(HttpServerTest, AChunkedBodyArrivesWhole) {
  StartServer();
  RawClient client(server_->port());
  ASSERT_TRUE(client.connected());
  client.Send(
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n");
  absl::SleepFor(absl::Milliseconds(20));
  client.Send("7\r\n, world\r\n0\r\n\r\n");
  const std::string answer = client.Read("hello, world");
  EXPECT_THAT(answer, StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(answer, HasSubstr("\r\n\r\nhello, world"));
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  StartServer();
  RawClient client(server_->port());
  ASSERT_TRUE(client.connected());
  for (int i = 0; i < 3; ++i) {
    client.Send("GET /hello?n HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_THAT(client.Read("hello n"), StartsWith("HTTP/1.1 200"));
  }
}

// With an idle timeout of 300 ms: the server closes `client` well before the 5 s read timeout.
void ExpectClosedForIdling(RawClient& client) {
  const absl::Time start = absl::Now();
  EXPECT_EQ(client.Read(), "");  // returns when the server closes
  EXPECT_LT(absl::Now() - start, absl::Seconds(4));
}

// The thread that answers also starts reading the connection's next request: a request already
// sent behind the answered one (pipelined) and the next ones after it are served, and the
// idle timeout armed there still closes the connection.
TEST_F(HttpServerTest, AConnectionAnsweredFromAnotherThreadGoesOnAndIdlesOut) {
  ServerOptions options;
  options.idle_timeout = absl::Milliseconds(300);
  StartServer(options);
  RawClient client(server_->port());
  ASSERT_TRUE(client.connected());
  client.Send(
      "GET /later HTTP/1.1\r\nHost: x\r\n\r\nGET /hello?pipelined HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string both = client.Read("hello pipelined");
  EXPECT_THAT(both, StartsWith("HTTP/1.1 202"));
  EXPECT_THAT(both, HasSubstr("later"));
  for (int i = 0; i < 3; ++i) {
    client.Send("GET /later HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_THAT(client.Read("later"), StartsWith("HTTP/1.1 202"));
  }
  ExpectClosedForIdling(client);
}

TEST_F(HttpServerTest, GarbageGets400AndOthersAreStillServed) {
  StartServer();
  RawClient bad(server_->port());
  bad.Send("THIS IS NOT HTTP\r\n\x01\x02\r\n\r\n");
  EXPECT_THAT(bad.Read(), StartsWith("HTTP/1.1 400"));
  EXPECT_EQ(testing::HttpRequest("GET", Url("/hello")).status, 200);
}

// Malformed neighbours of valid requests (tests/testing/mutate.h), each on its own connection
// whose sending side is then closed: every one gets a well-formed answer or a closed
// connection, never a crash (the sanitizer build reads along), and the server serves on.
TEST_F(HttpServerTest, MutatedRequestsGetAnAnswerOrACloseAndTheServerServesOn) {
  StartServer();
  std::mt19937 random = testing::MutationRandom();
  int ok = 0, refused = 0;
  for (const char* request : {
           "GET /hello?x=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
           "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
           "Content-Type: application/json\r\n\r\n[1,2]",
           "POST /spare HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
           "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
           "GET /query?a=1&a=%32&b=%zz HTTP/1.1\r\nHost: x\r\n\r\n",
       }) {
    for (int i = 0; i < 300 && !::testing::Test::HasFailure(); ++i) {
      const std::string mutated = testing::Mutate(request, random);
      RawClient client(server_->port());
      ASSERT_TRUE(client.connected());
      client.Send(mutated);
      client.FinishSending();
      const std::string answer = client.Read();
      // A cut request may end before a whole header: then no answer is due, only the close.
      if (answer.empty()) continue;
      EXPECT_THAT(answer, ::testing::MatchesRegex("HTTP/1\\.[01] [1-5][0-9][0-9] (.|\n|\r)*"))
          << ::testing::PrintToString(mutated);
      // "HTTP/1.x " is 9 characters; the status class follows.
      (answer.size() > 9 && answer[9] == '2' ? ok : refused)++;
    }
  }
  EXPECT_GT(ok, 50);
  EXPECT_GT(refused, 50);
  EXPECT_EQ(testing::HttpRequest("GET", Url("/hello")).status, 200);
}

TEST_F(HttpServerTest, IdleConnectionIsClosed) {
  ServerOptions options;
  options.idle_timeout = absl::Milliseconds(300);
  StartServer(options);
  RawClient idle(server_->port());
  ASSERT_TRUE(idle.connected());
  ExpectClosedForIdling(idle);
}

TEST_F(HttpServerTest, SlowBodyTimesOutWhileOthersAreServed) {
  ServerOptions options;
  options.read_timeout = absl::Milliseconds(300);
  StartServer(options);
  RawClient slow(server_->port());
  slow.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly a few bytes");
  EXPECT_EQ(testing::HttpRequest("GET", Url("/hello")).status, 200);
  const absl::Time start = absl::Now();
  EXPECT_EQ(slow.Read(), "");
  EXPECT_LT(absl::Now() - start, absl::Seconds(4));
}

TEST_F(HttpServerTest, StopClosesOpenConnectionsPromptly) {
  StartServer();
  RawClient idle(server_->port());
  ASSERT_TRUE(idle.connected());
  const absl::Time start = absl::Now();
  server_->Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
}

ServerOptions ListenOn(std::string address) {
  ServerOptions options;
  options.listen_address = std::move(address);
  return options;
}

TEST(HttpServerStartTest, BadAddressesAreErrors) {
  EXPECT_EQ(Server::Start(ListenOn("nonsense"), Router()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Server::Start(ListenOn("127.0.0.1:99999"), Router()).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto first = Server::Start(ListenOn("127.0.0.1:0"), Router());
  ASSERT_TRUE(first.ok());
  auto second = Server::Start(ListenOn(absl::StrCat("127.0.0.1:", (*first)->port())), Router());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace wecom_notify::http
