// File: libs/wecom/token_cache.h
//
// TokenCache holds one WeCom access token per (api_url, corp_id, secret) -- WeCom gives every
// app its own secret, and a token only works for the app whose secret fetched it.
//
//   * A token is reused until `expires_in` (counted from when we asked) minus a safety margin.
//   * Single-flight: however many threads need a token at once, one gettoken call is made; the
//     others wait for it and share its token -- or its failure.
//   * Invalidate(creds, stale) drops the token only if it is still `stale`, so 32 sends that all
//     saw 40014 with the same token cause one refetch, not 32.
//   * Every gettoken call is counted in Options::metrics (wecom_notify_wecom_token_refreshes_total
//     by result); TokenAges() feeds wecom_notify_wecom_token_age_seconds (TokenAgeCollector).
//   * A permanent gettoken failure (40001 wrong secret, 40013 corp ID, ...) is remembered for
//     `permanent_failure_cooldown`: WeCom blocks an IP for an hour after repeated wrong secrets,
//     so we must not ask again on every send.
//
// Thread-safety: safe for concurrent use. The gettoken call runs without the lock held.

#ifndef WECOM_NOTIFY_LIBS_WECOM_TOKEN_CACHE_H_
#define WECOM_NOTIFY_LIBS_WECOM_TOKEN_CACHE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/common/clock.h"
#include "libs/wecom/http_transport.h"
#include "libs/wecom/metrics.h"
#include "libs/wecom/result.h"

namespace wecom_notify::wecom {

inline constexpr absl::string_view kDefaultApiUrl = "https://qyapi.weixin.qq.com/cgi-bin/";

struct AppCredentials {
  std::string api_url = std::string(kDefaultApiUrl);  // ends with '/'; gettoken is appended
  std::string corp_id;
  std::string secret;     // a secret: never logged
  std::string proxy_url;  // see HttpRequest::proxy_url
  bool proxy_from_environment = true;  // see HttpRequest::proxy_from_environment
  // The app's AgentId, for the token-age metric's label only (not part of the cache key; a
  // secret belongs to one app). Set by AppMessageSender.
  int64_t agent_id = 0;
};

// The age of one cached token, for metrics.
struct TokenAge {
  int64_t agent_id = 0;
  absl::Duration age;
};

class TokenCache {
 public:
  struct Options {
    // A token is refreshed this long before it expires (capped at half its lifetime).
    absl::Duration safety_margin = absl::Minutes(5);
    absl::Duration permanent_failure_cooldown = absl::Minutes(5);
    // Optional; every gettoken call is counted under endpoint="gettoken". Must outlive the cache.
    WeComMetrics* metrics = nullptr;
  };

  // `transport` and `clock` must outlive the cache.
  TokenCache(HttpTransport& transport, Clock& clock, Options options);
  TokenCache(HttpTransport& transport, Clock& clock) : TokenCache(transport, clock, Options()) {}

  // Get()
  //
  // Returns a token believed valid for `creds`, fetching one if needed (single-flight).
  // On failure returns ToStatus() of the gettoken outcome (kUnavailable / kDeadlineExceeded /
  // kResourceExhausted for transient failures, kUnauthenticated / kFailedPrecondition for a bad
  // corp ID or secret), and, if `failure` is non-null, stores that classified outcome there so
  // the caller can decide whether to retry. Waiters on a failed fetch get the same failure.
  absl::StatusOr<std::string> Get(const AppCredentials& creds, CallOutcome* failure = nullptr);

  // Invalidate()
  //
  // Drops the cached token for `creds` if it equals `stale_token` (what the caller sent and WeCom
  // rejected with 40014/42001). A token fetched since then is kept.
  void Invalidate(const AppCredentials& creds, absl::string_view stale_token);

  // Number of gettoken HTTP calls made so far (for metrics and tests).
  int64_t fetch_count() const;

  // For every cached token: its app's agent_id and the time since it was fetched.
  std::vector<TokenAge> TokenAges() const;

 private:
  struct Entry {
    std::string token;
    absl::Time refresh_at = absl::InfinitePast();  // token usable while Now() < refresh_at
    absl::Time fetched_at = absl::InfinitePast();  // when the gettoken for `token` started
    int64_t agent_id = 0;
    bool fetching = false;
    uint64_t generation = 0;                          // bumped when a fetch finishes
    std::unique_ptr<CallOutcome> failure;             // outcome of the last fetch if it failed
    absl::Time failure_until = absl::InfinitePast();  // permanent failure remembered until then
  };

  CallOutcome Fetch(const AppCredentials& creds, std::string* token, absl::Duration* lifetime);

  HttpTransport& transport_;
  Clock& clock_;
  const Options options_;

  mutable absl::Mutex mu_;
  absl::CondVar fetch_done_;
  std::map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  int64_t fetch_count_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace wecom_notify::wecom

#endif  // WECOM_NOTIFY_LIBS_WECOM_TOKEN_CACHE_H_
