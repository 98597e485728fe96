#include "libs/wecom/curl_http_transport.h"

#include <curl/curl.h>

#include <fstream>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "libs/wecom/redact.h"

namespace wecom_notify::wecom {
namespace {

struct BodySink {
  std::string* body;
  size_t cap;
  bool overflow = false;
};

size_t WriteBody(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<BodySink*>(user);
  const size_t n = size * count;
  if (sink->body->size() + n > sink->cap) {
    sink->overflow = true;
    return 0;  // makes libcurl fail with CURLE_WRITE_ERROR
  }
  sink->body->append(data, n);
  return n;
}

absl::Status GlobalInit() {
  static const CURLcode code = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (code != CURLE_OK) {
    return absl::InternalError(absl::StrCat("curl_global_init: ", curl_easy_strerror(code)));
  }
  return absl::OkStatus();
}

// "scheme://host:port|proxy" for `url`, or an error if libcurl cannot parse it.
absl::StatusOr<std::string> PoolKey(const HttpRequest& request, const std::string& proxy) {
  CURLU* u = curl_url();
  if (u == nullptr) return absl::ResourceExhaustedError("curl_url: out of memory");
  std::string key;
  CURLUcode rc = curl_url_set(u, CURLUPART_URL, request.url.c_str(), 0);
  char* scheme = nullptr;
  char* host = nullptr;
  char* port = nullptr;
  if (rc == CURLUE_OK) rc = curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
  if (rc == CURLUE_OK) rc = curl_url_get(u, CURLUPART_HOST, &host, 0);
  if (rc == CURLUE_OK) rc = curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
  if (rc == CURLUE_OK) key = absl::StrCat(scheme, "://", host, ":", port, "|", proxy);
  curl_free(scheme);
  curl_free(host);
  curl_free(port);
  curl_url_cleanup(u);
  if (rc != CURLUE_OK) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed URL ", RedactSecrets(request.url), ": ", curl_url_strerror(rc)));
  }
  return key;
}

absl::Status FromCurlCode(CURLcode code, const char* error_buffer, const HttpRequest& request) {
  std::string detail = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
  std::string message = RedactSecrets(absl::StrCat(
      request.method == HttpRequest::Method::kGet ? "GET " : "POST ", request.url, ": ", detail));
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return absl::DeadlineExceededError(message);
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return absl::InvalidArgumentError(message);
    case CURLE_PEER_FAILED_VERIFICATION:  // the certificate is not trusted: configuration
    case CURLE_SSL_CACERT_BADFILE:
      return absl::FailedPreconditionError(message);
    default:
      return absl::UnavailableError(message);
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<CurlHttpTransport>> CurlHttpTransport::Create(Options options) {
  if (options.connect_timeout <= absl::ZeroDuration() ||
      options.total_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("CurlHttpTransport: timeouts must be positive");
  }
  if (!options.ca_bundle_path.empty() && !std::ifstream(options.ca_bundle_path).good()) {
    return absl::InvalidArgumentError(
        absl::StrCat("CurlHttpTransport: cannot read CA bundle ", options.ca_bundle_path));
  }
  if (absl::Status s = GlobalInit(); !s.ok()) return s;
  return std::unique_ptr<CurlHttpTransport>(new CurlHttpTransport(std::move(options)));
}

CurlHttpTransport::CurlHttpTransport(Options options) : options_(std::move(options)) {}

CurlHttpTransport::~CurlHttpTransport() {
  absl::MutexLock lock(&mu_);
  for (auto& [key, handles] : idle_) {
    for (Handle h : handles) curl_easy_cleanup(static_cast<CURL*>(h));
  }
}

CurlHttpTransport::Handle CurlHttpTransport::Acquire(const std::string& pool_key) {
  {
    absl::MutexLock lock(&mu_);
    auto it = idle_.find(pool_key);
    if (it != idle_.end() && !it->second.empty()) {
      Handle h = it->second.back();
      it->second.pop_back();
      return h;
    }
  }
  return curl_easy_init();
}

void CurlHttpTransport::Release(const std::string& pool_key, Handle handle) {
  {
    absl::MutexLock lock(&mu_);
    std::vector<Handle>& pool = idle_[pool_key];
    if (pool.size() < options_.max_idle_handles_per_host) {
      pool.push_back(handle);
      return;
    }
  }
  curl_easy_cleanup(static_cast<CURL*>(handle));
}

absl::StatusOr<HttpResponse> CurlHttpTransport::Send(const HttpRequest& request) {
  const std::string& proxy = !request.proxy_url.empty() ? request.proxy_url : options_.proxy_url;
  const bool direct = proxy.empty() && !request.proxy_from_environment;
  // Handles are pooled per way out: a direct one is not the environment's proxy.
  absl::StatusOr<std::string> pool_key = PoolKey(request, direct ? "(direct)" : proxy);
  if (!pool_key.ok()) return pool_key.status();

  CURL* curl = static_cast<CURL*>(Acquire(*pool_key));
  if (curl == nullptr) return absl::ResourceExhaustedError("curl_easy_init: out of memory");
  // Reset keeps the handle's live connections, DNS cache and TLS session cache.
  curl_easy_reset(curl);

  HttpResponse response;
  BodySink sink{&response.body, options_.max_response_bytes};
  char error_buffer[CURL_ERROR_SIZE] = {0};
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: application/json; charset=utf-8");
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip

  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(options_.connect_timeout)));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(options_.total_timeout)));
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options_.ca_bundle_path.empty()) {
    curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_bundle_path.c_str());
  }
  if (!proxy.empty()) {
    curl_easy_setopt(curl, CURLOPT_PROXY, proxy.c_str());
  } else if (direct) {
    curl_easy_setopt(curl, CURLOPT_PROXY, "");  // "": no proxy, whatever the environment says
  }
  curl_easy_setopt(curl, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &WriteBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  if (request.method == HttpRequest::Method::kPost) {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
  } else {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  }

  const CURLcode code = curl_easy_perform(curl);
  long status = 0;
  if (code == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  // Drop the pointers into this stack frame before the handle goes back to the pool.
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, nullptr);
  curl_slist_free_all(headers);
  Release(*pool_key, curl);

  if (sink.overflow) {
    return absl::ResourceExhaustedError(absl::StrCat("response from ", RedactSecrets(request.url),
                                                     " exceeds ", options_.max_response_bytes,
                                                     " bytes"));
  }
  if (code != CURLE_OK) return FromCurlCode(code, error_buffer, request);
  response.status_code = static_cast<int>(status);
  return response;
}

}  // namespace wecom_notify::wecom
