#include "libs/http/server.h"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <cstdint>
#include <exception>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "libs/http/request_body.h"
#include "spdlog/spdlog.h"

namespace wecom_notify::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

constexpr std::size_t kMaxHeaderBytes = 64 << 10;
// The most Beast reads from a socket at once.
constexpr std::size_t kMaxReadBytes = 64 << 10;

using SteadyClock = std::chrono::steady_clock;

std::chrono::milliseconds ToChrono(absl::Duration d) {
  return std::chrono::milliseconds(absl::ToInt64Milliseconds(d));
}

// How often the server looks for connections past their deadline: a fraction of the shortest
// timeout, so a timeout fires at most ~1/4 of it late, and never busier than every 10 ms.
std::chrono::milliseconds SweepPeriod(const ServerOptions& options) {
  const absl::Duration shortest = std::min(options.read_timeout, options.idle_timeout);
  return ToChrono(std::clamp(shortest / 4, absl::Milliseconds(10), absl::Seconds(1)));
}

std::string PercentDecode(absl::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < in.size() && absl::ascii_isxdigit(in[i + 1]) &&
               absl::ascii_isxdigit(in[i + 2])) {
      int value = 0;
      for (int k = 1; k <= 2; ++k) {
        char h = absl::ascii_tolower(in[i + k]);
        value = value * 16 + (absl::ascii_isdigit(h) ? h - '0' : h - 'a' + 10);
      }
      out.push_back(static_cast<char>(value));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// What the server needs of a session of either kind (plain or TLS).
//
// Timeouts. A connection's deadline is a number the session sets as it starts reading or
// writing, and one timer per server (ServerImpl::Sweep) closes the connections past theirs.
// Beast's per-operation timers cost every request two timer re-arms and two cancelled waits —
// each a completion through Asio's scheduler, waking a thread — on the path of every answer:
// 1 alert per request at 8 connections through the shim, +6 % alerts/s and −7 % CPU per alert
// without them (docs/performance.md).
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // Closes the socket from any thread (used by Server::Stop() and the sweep).
  virtual void CloseFromOutside() = 0;

  // Whether the deadline set last has passed at `now`; never while none is set.
  bool PastDeadline(SteadyClock::time_point now) const {
    const int64_t deadline = deadline_.load(std::memory_order_relaxed);
    return deadline != kNoDeadline && deadline <= now.time_since_epoch().count();
  }

 protected:
  // From now on the connection may take `timeout` for what it does next.
  void SetDeadline(absl::Duration timeout) {
    deadline_.store((SteadyClock::now() + ToChrono(timeout)).time_since_epoch().count(),
                    std::memory_order_relaxed);
  }
  // While a handler holds the request: no time limit (the answer may wait on notifyd).
  void ClearDeadline() { deadline_.store(kNoDeadline, std::memory_order_relaxed); }

 private:
  static constexpr int64_t kNoDeadline = 0;
  std::atomic<int64_t> deadline_{kNoDeadline};
};

// State shared by the acceptor, the sessions and every outstanding Responder. A Responder may be
// called after the Server was stopped (a gRPC answer arriving late); it then finds `stopped` set
// and drops the answer, while its shared_ptr keeps the io_contexts alive until it is gone.
//
// One io_context per I/O thread, each connection on one of them (round robin), rather than one
// io_context run by every thread: in a shared one, a thread that finds work wakes an idle one to
// take over the reactor, so the threads hand it back and forth through the scheduler's mutex and
// condition variable — futex calls on every request. A connection's handlers then also run on one
// thread only, so they need no strand.
struct Core {
  explicit Core(int threads) {
    for (int i = 0; i < std::max(1, threads); ++i) {
      io.push_back(std::make_unique<net::io_context>(1));
    }
  }
  std::vector<std::unique_ptr<net::io_context>> io;
  std::atomic<bool> stopped{false};
  ServerOptions options;
  Router router;
  std::optional<net::ssl::context> tls;

  // Live sessions, closed on Stop() so that every pending operation completes and run() returns.
  // `stopped` is set under this mutex, so a session registered after Stop() cannot slip through.
  std::mutex sessions_mu;
  std::vector<std::weak_ptr<SessionBase>> sessions;
};

// Converts a Beast request into our plain Request.
Request ToRequest(bhttp::request<RequestBody>&& in, const std::string& remote) {
  Request out;
  out.method = std::string(in.method_string());
  absl::string_view target(in.target().data(), in.target().size());
  auto q = target.find('?');
  out.path = std::string(target.substr(0, q));
  if (q != absl::string_view::npos) out.query = std::string(target.substr(q + 1));
  out.headers.reserve(std::distance(in.begin(), in.end()));
  for (const auto& field : in) {
    out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  out.body = std::move(in.body());
  out.remote_address = remote;
  return out;
}

template <class Stream>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(std::shared_ptr<Core> core, Stream stream, std::string remote)
      : core_(std::move(core)), stream_(std::move(stream)), remote_(std::move(remote)) {}

  void Start() {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      if (core_->options.answer_on_responding_thread) {
        // For WriteNow(): a write that would block returns instead of waiting. Asio's own
        // operations work in either mode.
        beast::error_code ignored;
        stream_.socket().non_blocking(true, ignored);
      }
      ReadHeader();
    } else {
      SetDeadline(core_->options.read_timeout);
      stream_.async_handshake(net::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) return self->Close();
                                self->ReadHeader();
                              });
    }
  }

  void CloseFromOutside() override {
    net::post(beast::get_lowest_layer(stream_).get_executor(),
              [self = this->shared_from_this()] { self->Close(); });
  }

 private:
  void ReadHeader() {
    parser_.emplace();
    parser_->header_limit(kMaxHeaderBytes);
    parser_->body_limit(core_->options.max_body_bytes);
    SetDeadline(core_->options.idle_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                               self->OnHeader(ec);
                             });
  }

  void OnHeader(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    // A declared body above the limit is refused before a byte of it is read.
    auto length = parser_->content_length();
    if (length && *length > core_->options.max_body_bytes) {
      return WriteError(413, "request body exceeds the limit of " +
                                 std::to_string(core_->options.max_body_bytes) + " bytes");
    }
    // Beast reads what the buffer has room for, at least 512 bytes, and a buffer the parser
    // drains never grows: a 20 KB batch arrived in ~37 recvmsg and ~13 epoll_wait. Room for the
    // declared body lets it arrive in a read or two; the buffer keeps that room for the
    // connection's next requests (at most kMaxReadBytes).
    if (length) buffer_.reserve(buffer_.size() + std::min<std::uint64_t>(*length, kMaxReadBytes));
    SetDeadline(core_->options.read_timeout);
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                        self->OnBody(ec);
                      });
  }

  void OnReadError(beast::error_code ec) {
    if (ec == bhttp::error::end_of_stream || ec == net::error::eof ||
        ec == net::error::connection_reset || ec == net::error::operation_aborted) {
      // Also a timeout (the sweep closed the socket): closed silently, the peer was idle or too
      // slow and nobody waits for an answer.
      return Close();
    }
    if (ec == bhttp::error::body_limit) {
      return WriteError(413, "request body exceeds the limit of " +
                                 std::to_string(core_->options.max_body_bytes) + " bytes");
    }
    if (ec == bhttp::error::header_limit) return WriteError(431, "request header too large");
    WriteError(400, "malformed HTTP request: " + ec.message());
  }

  void OnBody(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    ClearDeadline();
    keep_alive_ = parser_->keep_alive();
    version_ = parser_->get().version();
    bool head = parser_->get().method() == bhttp::verb::head;
    Request request = ToRequest(parser_->release(), remote_);
    parser_.reset();

    auto answered = std::make_shared<std::atomic<bool>>(false);
    auto self = this->shared_from_this();
    std::shared_ptr<Core> core = core_;
    // Guard: a handler that drops its Responder without answering produces a 500, never a hang.
    struct DropGuard {
      DropGuard(std::shared_ptr<Session> s, std::shared_ptr<std::atomic<bool>> a)
          : session(std::move(s)), answered(std::move(a)) {}
      DropGuard(const DropGuard&) = delete;
      DropGuard& operator=(const DropGuard&) = delete;
      ~DropGuard() {
        if (!answered->exchange(true)) {
          session->PostWrite(Response::Text(500, "handler produced no response\n"), false);
        }
      }
      std::shared_ptr<Session> session;
      std::shared_ptr<std::atomic<bool>> answered;
    };
    auto guard = std::make_shared<DropGuard>(self, answered);
    Responder responder = [guard, head](Response response) mutable {
      if (guard->answered->exchange(true)) return;
      guard->session->PostWrite(std::move(response), head);
    };
    try {
      core->router.Dispatch(request, std::move(responder));
    } catch (const std::exception& e) {
      spdlog::error("msg=\"http handler threw\" path={} err=\"{}\"", request.path, e.what());
      if (!answered->exchange(true)) PostWrite(Response::Text(500, "internal error"), false);
    }
  }

  void PostWrite(Response response, bool head) {
    if (core_->stopped.load()) return;
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      if (core_->options.answer_on_responding_thread) return WriteNow(std::move(response), head);
    }
    // Posted under close_mu_, as in WriteNow(): a Stop() that began after the check above has
    // either not closed this session yet — and the I/O threads run the write before they can
    // finish — or closed it, and nothing is posted into an io_context no thread runs any more.
    std::lock_guard<std::mutex> lock(close_mu_);
    if (!beast::get_lowest_layer(stream_).socket().is_open()) return;
    net::post(beast::get_lowest_layer(stream_).get_executor(),
              [self = this->shared_from_this(), response = std::move(response), head]() mutable {
                self->Write(std::move(response), head);
              });
  }

  // Writes the answer on the calling thread — in the shim its completion thread for notifyd's
  // answers — instead of waking an I/O thread to write it
  // (ServerOptions::answer_on_responding_thread): the client has its answer one thread switch
  // sooner, which on a VM is the costliest step of a small request (docs/performance.md). Safe
  // because while a handler holds the Responder the session has no operation pending (the next
  // request is read only after the answer) and no timer armed; the one thing that may run at the
  // same time is Close() from Server::Stop(), hence close_mu_. What the socket does not take at
  // once is written by the I/O thread.
  void WriteNow(Response response, bool head) {
    auto res = MakeResponse(std::move(response), head);
    auto serializer = std::make_shared<bhttp::serializer<false, bhttp::string_body>>(*res);
    const bool close = !keep_alive_;
    std::lock_guard<std::mutex> lock(close_mu_);
    tcp::socket& socket = stream_.socket();
    if (!socket.is_open()) return;
    beast::error_code ec;
    while (!ec && !serializer->is_done()) bhttp::write_some(socket, *serializer, ec);
    // The next request's read is started here too, rather than by an I/O thread woken for it:
    // starting an operation never runs its handler inline, and the I/O thread that sees the
    // request arrive runs it. Under the lock, as the post below (see PostWrite()).
    if (!ec && !close) return ReadHeader();
    net::post(stream_.get_executor(),
              [self = this->shared_from_this(), res, serializer, close, ec]() mutable {
                if (ec == net::error::would_block) {
                  self->SetDeadline(self->core_->options.read_timeout);
                  return bhttp::async_write(
                      self->stream_, *serializer,
                      [self, res, serializer, close](beast::error_code write_ec, std::size_t) {
                        self->AfterWrite(write_ec, close);
                      });
                }
                self->AfterWrite(ec, close);
              });
  }

  void WriteError(int status, std::string message) {
    keep_alive_ = false;
    version_ = 11;
    Write(Response::Text(status, std::move(message) + "\n"), false);
  }

  std::shared_ptr<bhttp::response<bhttp::string_body>> MakeResponse(Response response,
                                                                    bool head) const {
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>();
    res->version(version_);
    res->result(static_cast<unsigned>(response.status));
    res->set(bhttp::field::server, "wecom-notify");
    res->set(bhttp::field::content_type, response.content_type);
    for (auto& [name, value] : response.headers) res->set(name, value);
    res->keep_alive(keep_alive_);
    if (head) {
      res->content_length(response.body.size());
    } else {
      res->body() = std::move(response.body);
      res->prepare_payload();
    }
    return res;
  }

  void Write(Response response, bool head) {
    auto res = MakeResponse(std::move(response), head);
    bool close = !keep_alive_;
    SetDeadline(core_->options.read_timeout);
    bhttp::async_write(stream_, *res,
                       [self = this->shared_from_this(), res, close](
                           beast::error_code ec, std::size_t) { self->AfterWrite(ec, close); });
  }

  void AfterWrite(beast::error_code ec, bool close) {
    if (ec || close) return Close();
    ReadHeader();
  }

  void Close() {
    std::lock_guard<std::mutex> lock(close_mu_);
    beast::error_code ignored;
    auto& socket = beast::get_lowest_layer(stream_).socket();
    if (!socket.is_open()) return;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  }

  std::shared_ptr<Core> core_;
  Stream stream_;
  std::string remote_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<RequestBody>> parser_;
  bool keep_alive_ = true;
  unsigned version_ = 11;
  // Held by WriteNow() (off the I/O threads) and Close(); see WriteNow().
  std::mutex close_mu_;
};

class ServerImpl : public Server {
 public:
  explicit ServerImpl(std::shared_ptr<Core> core)
      : core_(std::move(core)),
        acceptor_(*core_->io.front()),
        sweep_period_(SweepPeriod(core_->options)),
        sweep_timer_(*core_->io.front()) {
    // Keeps every thread's run() going while its io_context has no connection yet.
    for (auto& io : core_->io) keep_running_.push_back(net::make_work_guard(*io));
  }
  ~ServerImpl() override { Stop(); }

  absl::Status Listen(const std::string& host, int port) {
    beast::error_code ec;
    auto address = net::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
    if (ec) return absl::InvalidArgumentError(absl::StrCat("listen address: bad host \"", host, "\""));
    tcp::endpoint endpoint(address, static_cast<unsigned short>(port));
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      return absl::UnavailableError(
          absl::StrCat("cannot listen on ", host, ":", port, ": ", ec.message()));
    }
    port_ = acceptor_.local_endpoint().port();
    return absl::OkStatus();
  }

  void Run() {
    Accept();
    ArmSweep();
    threads_.reserve(core_->io.size());
    for (auto& io : core_->io) {
      threads_.emplace_back([core = core_, io = io.get()] { io->run(); });
      pthread_setname_np(threads_.back().native_handle(), "http-io");
    }
  }

  // Closes the acceptor and every connection, then lets the I/O threads drain: once every
  // aborted operation has completed, run() returns. Nothing is left queued in the io_context, so
  // a Responder still held by a handler owns the last reference to its session and to Core.
  void Stop() override {
    {
      std::lock_guard<std::mutex> lock(core_->sessions_mu);
      if (core_->stopped.exchange(true)) return;
      for (auto& weak : core_->sessions) {
        if (auto session = weak.lock()) session->CloseFromOutside();
      }
      core_->sessions.clear();
    }
    net::post(acceptor_.get_executor(), [this] {
      beast::error_code ignored;
      acceptor_.close(ignored);
    });
    net::post(sweep_timer_.get_executor(), [this] { sweep_timer_.cancel(); });
    keep_running_.clear();
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

  int port() const override { return port_; }

 private:
  void Accept() {
    net::io_context& io = *core_->io[next_io_++ % core_->io.size()];
    acceptor_.async_accept(io, [this](beast::error_code ec, tcp::socket socket) {
      if (core_->stopped.load()) return;
      if (!ec) StartSession(std::move(socket));
      Accept();
    });
  }

  void StartSession(tcp::socket socket) {
    beast::error_code ec;
    auto remote = socket.remote_endpoint(ec);
    std::string remote_text =
        ec ? "unknown" : absl::StrCat(remote.address().to_string(), ":", remote.port());
    if (core_->tls) {
      Register(std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
          core_, beast::ssl_stream<beast::tcp_stream>(std::move(socket), *core_->tls),
          remote_text));
    } else {
      Register(std::make_shared<Session<beast::tcp_stream>>(
          core_, beast::tcp_stream(std::move(socket)), remote_text));
    }
  }

  template <class S>
  void Register(std::shared_ptr<S> session) {
    std::lock_guard<std::mutex> lock(core_->sessions_mu);
    if (core_->stopped.load()) return;  // dropping the session closes its socket
    core_->sessions.emplace_back(session);
    session->Start();
  }

  // Every sweep period: closes the connections past their deadline (SessionBase) and forgets
  // the sessions that are gone.
  void ArmSweep() {
    sweep_timer_.expires_after(sweep_period_);
    sweep_timer_.async_wait([this](beast::error_code ec) {
      if (ec || core_->stopped.load()) return;
      Sweep(SteadyClock::now());
      ArmSweep();
    });
  }

  void Sweep(SteadyClock::time_point now) {
    std::lock_guard<std::mutex> lock(core_->sessions_mu);
    auto& sessions = core_->sessions;
    sessions.erase(std::remove_if(sessions.begin(), sessions.end(),
                                  [now](const std::weak_ptr<SessionBase>& weak) {
                                    auto session = weak.lock();
                                    if (!session) return true;
                                    if (session->PastDeadline(now)) session->CloseFromOutside();
                                    return false;
                                  }),
                   sessions.end());
  }

  std::shared_ptr<Core> core_;
  tcp::acceptor acceptor_;
  const std::chrono::milliseconds sweep_period_;
  net::steady_timer sweep_timer_;
  std::vector<net::executor_work_guard<net::io_context::executor_type>> keep_running_;
  std::size_t next_io_ = 0;  // the io_context of the next connection accepted
  std::vector<std::thread> threads_;
  int port_ = 0;
};

absl::StatusOr<std::pair<std::string, int>> SplitHostPort(const std::string& address) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen address \"", address, "\": expected host:port"));
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) host = "0.0.0.0";
  int port = 0;
  if (!absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen address \"", address, "\": bad port"));
  }
  return std::make_pair(host, port);
}

}  // namespace

absl::string_view Request::Header(absl::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return value;
  }
  return {};
}

std::vector<std::pair<std::string, std::string>> Request::QueryParams() const {
  std::vector<std::pair<std::string, std::string>> params;
  if (query.empty()) return params;
  for (absl::string_view part : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    auto eq = part.find('=');
    if (eq == absl::string_view::npos) {
      params.emplace_back(PercentDecode(part), "");
    } else {
      params.emplace_back(PercentDecode(part.substr(0, eq)), PercentDecode(part.substr(eq + 1)));
    }
  }
  return params;
}

Response Response::Text(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Response Response::Json(int status, std::string body) {
  Response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = std::move(body);
  return r;
}

void Router::Add(std::string method, std::string path, Handler handler) {
  by_path_[std::move(path)][std::move(method)] = std::move(handler);
}

void Router::Dispatch(const Request& request, Responder responder) const {
  static const std::string kGet = "GET";
  auto path = by_path_.find(request.path);
  if (path == by_path_.end()) {
    return std::move(responder)(Response::Text(404, "not found: " + request.path + "\n"));
  }
  const std::string& method = request.method == "HEAD" ? kGet : request.method;
  auto handler = path->second.find(method);
  if (handler == path->second.end()) {
    std::vector<std::string> allowed;
    for (const auto& [m, h] : path->second) allowed.push_back(m);
    std::sort(allowed.begin(), allowed.end());
    Response r = Response::Text(405, "method " + request.method + " not allowed on " +
                                         request.path + "\n");
    r.headers.emplace_back("Allow", absl::StrJoin(allowed, ", "));
    return std::move(responder)(std::move(r));
  }
  handler->second(request, std::move(responder));
}

absl::StatusOr<std::unique_ptr<Server>> Server::Start(const ServerOptions& options,
                                                      Router router) {
  auto host_port = SplitHostPort(options.listen_address);
  if (!host_port.ok()) return host_port.status();
  auto core = std::make_shared<Core>(options.threads);
  core->options = options;
  core->router = std::move(router);
  if (!options.tls_cert_file.empty() || !options.tls_key_file.empty()) {
    if (options.tls_cert_file.empty() || options.tls_key_file.empty()) {
      return absl::InvalidArgumentError("TLS needs both a certificate file and a key file");
    }
    core->tls.emplace(net::ssl::context::tls_server);
    beast::error_code ec;
    core->tls->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                               net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                               net::ssl::context::no_tlsv1_1,
                           ec);
    core->tls->use_certificate_chain_file(options.tls_cert_file, ec);
    if (ec) {
      return absl::InvalidArgumentError(absl::StrCat("TLS certificate file \"",
                                                     options.tls_cert_file, "\": ", ec.message()));
    }
    core->tls->use_private_key_file(options.tls_key_file, net::ssl::context::pem, ec);
    if (ec) {
      return absl::InvalidArgumentError(
          absl::StrCat("TLS key file \"", options.tls_key_file, "\": ", ec.message()));
    }
  }
  auto server = std::make_unique<ServerImpl>(core);
  if (auto status = server->Listen(host_port->first, host_port->second); !status.ok()) {
    return status;
  }
  server->Run();
  return server;
}

}  // namespace wecom_notify::http
