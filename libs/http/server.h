// File: libs/http/server.h
//
// A small HTTP/1.1 server (Boost.Beast over Asio) shared by webhook-shim, notifyd's metrics and
// health endpoint, and the WeCom simulator. It owns the hard parts every one of them needs:
// keep-alive, a body-size limit (413), read and idle timeouts (slow or silent clients are cut
// off), optional TLS, and isolation — a malformed request gets a 4xx on its own connection and
// never disturbs other connections or the process.
//
// Handlers are asynchronous: a handler receives the request and a Responder and may answer from
// any thread, later (the shim answers only after notifyd acknowledged over gRPC). A handler must
// call the Responder exactly once; if it drops it without calling, the client gets a 500.
//
// Thread-safety: Start/Stop are called from one owner thread. Handlers run on the server's I/O
// threads and must not block for long; hand slow work elsewhere and answer via the Responder.

#ifndef WECOM_NOTIFY_LIBS_HTTP_SERVER_H_
#define WECOM_NOTIFY_LIBS_HTTP_SERVER_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace wecom_notify::http {

// Spare capacity past a request body of declared length (see Request::body); covers simdjson's
// SIMDJSON_PADDING.
inline constexpr std::size_t kRequestBodySpareCapacity = 64;

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string path;    // target before '?', not percent-decoded
  std::string query;   // target after '?', without it; "" when absent
  std::vector<std::pair<std::string, std::string>> headers;  // names as sent
  // When the request declared its length (Content-Length), body.capacity() leaves at least
  // kRequestBodySpareCapacity bytes past its end: a parser that reads past the end of its input
  // (simdjson) can parse it in place.
  std::string body;
  std::string remote_address;  // "ip:port"

  // Header()
  //
  // The value of the first header named `name` (ASCII case-insensitive), or "" when absent.
  absl::string_view Header(absl::string_view name) const;

  // QueryParams()
  //
  // The query string as (name, value) pairs in order, percent- and '+'-decoded. Repeated names
  // (Alertmanager's `filter=a&filter=b`) stay repeated.
  std::vector<std::pair<std::string, std::string>> QueryParams() const;
};

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers

  static Response Text(int status, std::string body);
  static Response Json(int status, std::string body);
};

// Answers a request exactly once, from any thread.
using Responder = absl::AnyInvocable<void(Response) &&>;
using Handler = std::function<void(const Request&, Responder)>;

// Router maps (method, path) to a handler. An unknown path answers 404; a known path with
// another method answers 405 with an Allow header. HEAD is served by the GET handler with the
// body dropped.
class Router {
 public:
  void Add(std::string method, std::string path, Handler handler);
  void Dispatch(const Request& request, Responder responder) const;

 private:
  absl::flat_hash_map<std::string, absl::flat_hash_map<std::string, Handler>> by_path_;
};

struct ServerOptions {
  // "host:port"; port 0 picks a free port (see Server::port()).
  std::string listen_address = "127.0.0.1:0";
  // Larger bodies are answered 413 without reading them.
  std::size_t max_body_bytes = 16 << 20;
  // Time allowed to receive a request's body once its header arrived, and to write an answer.
  absl::Duration read_timeout = absl::Seconds(30);
  // Time a keep-alive connection may sit before a request's header arrived whole.
  // Both are enforced by a sweep every quarter of the shorter one (10 ms to 1 s): a
  // connection is closed up to that much after its timeout, never before.
  absl::Duration idle_timeout = absl::Seconds(90);
  // Number of I/O threads.
  int threads = 2;
  // Whether a Responder writes the answer on the thread that calls it (over plain HTTP), so
  // the client has it one thread switch sooner, and starts reading the connection's next
  // request there (its handler runs on an I/O thread); what the socket does not take at once
  // is left to the I/O threads. Off: every answer is handed to an I/O thread — for handlers
  // answering from a thread that everyone waits on, which should not spend its time on sockets.
  bool answer_on_responding_thread = true;
  // Both set: serve HTTPS with this PEM certificate chain and private key.
  std::string tls_cert_file;
  std::string tls_key_file;
};

class Server {
 public:
  // Start()
  //
  // Binds, listens and starts serving `router` on background threads. Errors:
  // InvalidArgument for a malformed listen address or unreadable TLS files, Unavailable when
  // the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<Server>> Start(const ServerOptions& options,
                                                       Router router);

  // Stops accepting, closes every connection and joins the I/O threads. Idempotent.
  virtual ~Server() = default;
  virtual void Stop() = 0;

  // The bound port (useful after listening on port 0).
  virtual int port() const = 0;
};

}  // namespace wecom_notify::http

#endif  // WECOM_NOTIFY_LIBS_HTTP_SERVER_H_
