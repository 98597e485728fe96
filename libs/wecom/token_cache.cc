#include "libs/wecom/token_cache.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "libs/wecom/redact.h"
#include "libs/wecom/wecom_json.h"

namespace wecom_notify::wecom {
namespace {

// The map key holds the secret; it lives only in memory.
std::string CacheKey(const AppCredentials& creds) {
  return absl::StrCat(creds.api_url, "\n", creds.corp_id, "\n", creds.secret);
}

std::string UrlEncode(absl::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.append(absl::StrFormat("%%%02X", c));
    }
  }
  return out;
}

}  // namespace

TokenCache::TokenCache(HttpTransport& transport, Clock& clock, Options options)
    : transport_(transport), clock_(clock), options_(options) {}

int64_t TokenCache::fetch_count() const {
  absl::MutexLock lock(&mu_);
  return fetch_count_;
}

CallOutcome TokenCache::Fetch(const AppCredentials& creds, std::string* token,
                              absl::Duration* lifetime) {
  HttpRequest request;
  request.method = HttpRequest::Method::kGet;
  request.url = absl::StrCat(creds.api_url, "gettoken?corpid=", UrlEncode(creds.corp_id),
                             "&corpsecret=", UrlEncode(creds.secret));
  request.proxy_url = creds.proxy_url;
  request.proxy_from_environment = creds.proxy_from_environment;
  absl::StatusOr<HttpResponse> response = transport_.Send(request);
  CallOutcome outcome = response.ok()
                            ? ParseOutcome(absl::OkStatus(), response->status_code, response->body)
                            : ParseOutcome(response.status(), 0, "");
  if (options_.metrics != nullptr) {
    options_.metrics->RecordRequest("gettoken", outcome);
    options_.metrics->RecordTokenRefresh(outcome.result_class());
  }
  if (outcome.result_class() != ResultClass::kOk) return outcome;
  std::optional<internal::Answer> answer = internal::ParseAnswer(response->body);
  if (!answer || answer->access_token.empty() || answer->expires_in <= 0) {
    // errcode 0 without a usable token: treat like an answer that is not WeCom JSON (transient).
    ClassifyInput in;
    in.body_is_json = false;
    outcome.classification = Classify(in);
    outcome.classification.action = "gettoken answered errcode 0 without access_token/expires_in";
    return outcome;
  }
  *token = std::move(answer->access_token);
  *lifetime = absl::Seconds(answer->expires_in);
  return outcome;
}

absl::StatusOr<std::string> TokenCache::Get(const AppCredentials& creds, CallOutcome* failure) {
  const std::string key = CacheKey(creds);
  absl::MutexLock lock(&mu_);
  Entry& entry = entries_[key];  // std::map: references stay valid while other keys are added
  while (true) {
    const absl::Time now = clock_.Now();
    if (!entry.token.empty() && now < entry.refresh_at) return entry.token;
    if (entry.failure != nullptr && now < entry.failure_until) {
      if (failure != nullptr) *failure = *entry.failure;
      return entry.failure->ToStatus();
    }
    if (!entry.fetching) break;
    // Someone else is fetching: wait for that fetch and share its result.
    const uint64_t generation = entry.generation;
    while (entry.generation == generation) fetch_done_.Wait(&mu_);
    if (!entry.token.empty()) return entry.token;
    if (entry.failure != nullptr) {
      if (failure != nullptr) *failure = *entry.failure;
      return entry.failure->ToStatus();
    }
  }

  entry.fetching = true;
  ++fetch_count_;
  const absl::Time started = clock_.Now();
  std::string token;
  absl::Duration lifetime;
  mu_.Unlock();
  CallOutcome outcome = Fetch(creds, &token, &lifetime);
  mu_.Lock();
  entry.fetching = false;
  ++entry.generation;
  fetch_done_.SignalAll();
  if (!token.empty()) {
    const absl::Duration margin = std::min(options_.safety_margin, lifetime / 2);
    entry.token = token;
    entry.refresh_at = started + lifetime - margin;
    entry.fetched_at = started;
    entry.agent_id = creds.agent_id;
    entry.failure.reset();
    spdlog::debug("wecom: fetched access token for corp {} (expires_in {}s)", creds.corp_id,
                  absl::ToInt64Seconds(lifetime));
    return token;
  }
  entry.token.clear();
  entry.failure = std::make_unique<CallOutcome>(outcome);
  entry.failure_until = outcome.result_class() == ResultClass::kPermanent
                            ? clock_.Now() + options_.permanent_failure_cooldown
                            : absl::InfinitePast();
  const absl::Status status = outcome.ToStatus();
  spdlog::warn("wecom: gettoken for corp {} failed: {}", creds.corp_id,
               RedactSecrets(std::string(status.message())));
  if (failure != nullptr) *failure = outcome;
  return status;
}

std::vector<TokenAge> TokenCache::TokenAges() const {
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_.Now();
  std::vector<TokenAge> out;
  for (const auto& [key, entry] : entries_) {
    if (!entry.token.empty()) out.push_back({entry.agent_id, now - entry.fetched_at});
  }
  return out;
}

void TokenCache::Invalidate(const AppCredentials& creds, absl::string_view stale_token) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(CacheKey(creds));
  if (it == entries_.end() || it->second.token != stale_token) return;
  it->second.token.clear();
  it->second.refresh_at = absl::InfinitePast();
}

}  // namespace wecom_notify::wecom
