// File: libs/wecom/curl_http_transport.h
//
// CurlHttpTransport sends HttpRequests with libcurl. It keeps one pool of idle easy handles per
// (scheme, host, port, proxy); a libcurl easy handle keeps its connections alive between
// requests, so a pool of handles is a pool of keep-alive connections per host. A request takes a
// handle from its pool (or makes one), and gives it back when done; at most
// `max_idle_handles_per_host` idle handles are kept.
//
// Proxy: a request's `proxy_url`, else Options::proxy_url, else libcurl's environment
// (`https_proxy`, `HTTPS_PROXY`, `no_proxy`) unless the request says proxy_from_environment =
// false (then none). Trusted-IP setups send through an egress proxy.
// TLS: the peer is always verified; `ca_bundle_path` replaces the system CA bundle.
// Redirects are not followed (WeCom answers plain http with 301; that is a config error).
//
// Thread-safety: safe for concurrent use; each request runs on its own easy handle.

#ifndef WECOM_NOTIFY_LIBS_WECOM_CURL_HTTP_TRANSPORT_H_
#define WECOM_NOTIFY_LIBS_WECOM_CURL_HTTP_TRANSPORT_H_

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/wecom/http_transport.h"

namespace wecom_notify::wecom {

class CurlHttpTransport : public HttpTransport {
 public:
  struct Options {
    absl::Duration connect_timeout = absl::Seconds(5);
    // Whole exchange, connect included. WeCom is slow for 1000-user sends; keep it generous.
    absl::Duration total_timeout = absl::Seconds(30);
    // PEM file of trusted CAs; empty = the system bundle.
    std::string ca_bundle_path;
    // Default proxy for requests that name none; empty = environment.
    std::string proxy_url;
    size_t max_idle_handles_per_host = 4;
    // Responses above this size fail with kResourceExhausted (WeCom answers are < 4 KiB).
    size_t max_response_bytes = 1 << 20;
    std::string user_agent = "wecom-notify";
  };

  // Create()
  //
  // Initializes libcurl once per process. Errors: kInvalidArgument for a non-positive timeout or
  // an unreadable `ca_bundle_path`; kInternal if libcurl cannot initialize.
  static absl::StatusOr<std::unique_ptr<CurlHttpTransport>> Create(Options options);

  ~CurlHttpTransport() override;
  CurlHttpTransport(const CurlHttpTransport&) = delete;
  CurlHttpTransport& operator=(const CurlHttpTransport&) = delete;

  absl::StatusOr<HttpResponse> Send(const HttpRequest& request) override;

 private:
  explicit CurlHttpTransport(Options options);

  // An opaque libcurl easy handle (CURL*), kept as void* so <curl/curl.h> stays out of this header.
  using Handle = void*;

  Handle Acquire(const std::string& pool_key);
  void Release(const std::string& pool_key, Handle handle);

  const Options options_;
  absl::Mutex mu_;
  std::map<std::string, std::vector<Handle>> idle_ ABSL_GUARDED_BY(mu_);
};

}  // namespace wecom_notify::wecom

#endif  // WECOM_NOTIFY_LIBS_WECOM_CURL_HTTP_TRANSPORT_H_
