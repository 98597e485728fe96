// File: libs/wecom/http_transport.h
//
// HttpTransport is the seam between the WeCom sender and the network: one blocking HTTP exchange.
// CurlHttpTransport (curl_http_transport.h) is the production implementation; tests script a fake.
//
// A transport reports only what happened on the wire. It never interprets WeCom's JSON: an HTTP
// response of any status is a success of the transport, and classification (result.h) decides
// what it means.
//
// Thread-safety: implementations must be safe for concurrent use.

#ifndef WECOM_NOTIFY_LIBS_WECOM_HTTP_TRANSPORT_H_
#define WECOM_NOTIFY_LIBS_WECOM_HTTP_TRANSPORT_H_

#include <string>

#include "absl/status/statusor.h"

namespace wecom_notify::wecom {

struct HttpRequest {
  enum class Method { kGet, kPost };

  Method method = Method::kGet;
  // Absolute http(s) URL. May carry a secret in its query (access_token, key, corpsecret):
  // implementations must pass it through RedactSecrets() before logging or quoting it.
  std::string url;
  // POST only; sent with `Content-Type: application/json; charset=utf-8`.
  std::string body;
  // Proxy for this request, e.g. "http://egress-proxy:3128". Empty: the transport's default (its
  // own option, else the https_proxy / no_proxy environment).
  std::string proxy_url;
  // False: without proxy_url (and the transport's own) connect directly, ignoring https_proxy /
  // no_proxy in the environment (Alertmanager's http_config.proxy_from_environment: false).
  bool proxy_from_environment = true;
};

struct HttpResponse {
  int status_code = 0;
  std::string body;
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;

  // Send()
  //
  // Performs `request` and returns the response, whatever its HTTP status.
  // Errors (no response was received; the message never contains a secret):
  //   kDeadlineExceeded  the connect or total timeout expired (the request may have been delivered)
  //   kUnavailable       DNS, connect, TLS handshake, proxy or read failure
  //   kFailedPrecondition the server's TLS certificate is not trusted (CA bundle)
  //   kInvalidArgument   the URL or proxy URL is malformed or uses an unsupported scheme
  //   kResourceExhausted the response body exceeded the transport's size cap
  virtual absl::StatusOr<HttpResponse> Send(const HttpRequest& request) = 0;
};

}  // namespace wecom_notify::wecom

#endif  // WECOM_NOTIFY_LIBS_WECOM_HTTP_TRANSPORT_H_
