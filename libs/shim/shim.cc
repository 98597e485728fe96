#include "libs/shim/shim.h"

#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <iterator>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "libs/alert/matcher.h"
#include "libs/alertmanager_json/alertmanager_json.h"
#include "libs/auth/auth.h"
#include "libs/common/clock.h"
#include "libs/common/file_watcher.h"
#include "libs/logging/logging.h"
#include "libs/metrics/metrics_endpoint.h"
#include "libs/shim/notify_batcher.h"
#include "libs/shim/notify_client.h"

namespace wecom_notify::shim {
namespace {

using auth::Authenticator;
using auth::RotatingAuthenticator;
using wecom_notify::v1::NotifyResponse;

// The HTTP answer for a failed forward: UNAVAILABLE / DEADLINE_EXCEEDED and anything not the
// caller's fault are 5xx, so Alertmanager and Prometheus retry.
http::Response ForwardError(const grpc::Status& status) {
  const std::string message = absl::StrCat("notifyd: ", status.error_message(), "\n");
  switch (status.error_code()) {
    case grpc::StatusCode::INVALID_ARGUMENT:
      return http::Response::Text(400, message);
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return http::Response::Text(503, message);
    default:
      return http::Response::Text(500, message);
  }
}

// Alertmanager answers a partially invalid batch with 400 and a JSON string of the reasons.
std::string JsonString(absl::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += absl::StrCat("\\u00", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
        } else {
          out.push_back(c);
        }
    }
  }
  out += "\"";
  return out;
}

// The shim's request metrics. Every series a handler can produce for the usual codes exists
// from start (at 0), and a request finds its counter and histogram without building a label map
// (per-request Family::Add was a measurable part of the shim's CPU).
class ShimMetrics {
 public:
  explicit ShimMetrics(prometheus::Registry& registry)
      : requests_(prometheus::BuildCounter()
                      .Name("wecom_notify_shim_http_requests_total")
                      .Help("HTTP requests answered by webhook-shim, by handler and code.")
                      .Register(registry)),
        duration_(prometheus::BuildHistogram()
                      .Name("wecom_notify_shim_http_request_duration_seconds")
                      .Help("Time from a request's arrival to its answer, by handler.")
                      .Register(registry)) {}

  // The series of one handler, created once when the route is added.
  class Handler {
   public:
    void Observe(int code, absl::Duration elapsed) {
      Counter(code).Increment();
      duration_->Observe(absl::ToDoubleSeconds(elapsed));
    }

   private:
    friend class ShimMetrics;
    static constexpr int kUsualCodes[] = {200, 400, 401, 413, 415, 500, 503};

    prometheus::Counter& Counter(int code) {
      for (std::size_t i = 0; i < std::size(kUsualCodes); ++i) {
        if (kUsualCodes[i] == code) return *usual_[i];
      }
      return requests_->Add({{"handler", name_}, {"code", std::to_string(code)}});
    }

    std::string name_;
    prometheus::Family<prometheus::Counter>* requests_ = nullptr;
    prometheus::Counter* usual_[std::size(kUsualCodes)] = {};
    prometheus::Histogram* duration_ = nullptr;
  };

  std::shared_ptr<Handler> ForHandler(const std::string& name) {
    auto handler = std::make_shared<Handler>();
    handler->name_ = name;
    handler->requests_ = &requests_;
    for (std::size_t i = 0; i < std::size(Handler::kUsualCodes); ++i) {
      handler->usual_[i] =
          &requests_.Add({{"handler", name}, {"code", std::to_string(Handler::kUsualCodes[i])}});
    }
    handler->duration_ = &duration_.Add(
        {{"handler", name}},
        prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                0.1, 0.25, 0.5, 1, 2.5, 5, 10});
    return handler;
  }

 private:
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& duration_;
};

NotifyBatcher::Options BatcherOptions(const ShimOptions& options) {
  NotifyBatcher::Options batcher;
  batcher.max_in_flight = options.notify_max_in_flight;
  return batcher;
}

class ShimImpl : public Shim {
 public:
  ShimImpl(const ShimOptions& options, Authenticator auth)
      : options_(options),
        bearer_token_(options.bearer_token),
        basic_password_(options.basic_password),
        auth_(std::move(auth), options.credentials_rotation_grace),
        registry_(std::make_shared<prometheus::Registry>()),
        metrics_(*registry_),
        backend_(options.backend != nullptr ? options.backend
                                            : std::make_shared<NotifyClient>(
                                                  options.notify_address, options.notify_timeout,
                                                  options.notify_admin_token)),
        batcher_(
            [this](notify_wire::EncodedNotifyRequest request, NotifyBackend::NotifyDone done) {
              backend_->Notify(std::move(request), std::move(done));
            },
            BatcherOptions(options)) {
    if (options.backend == nullptr) notify_client_ = static_cast<NotifyClient*>(backend_.get());
  }

  ~ShimImpl() override { Stop(); }

  absl::Status Listen() {
    http::Router router;
    router.Add("POST", "/api/v2/alerts", Instrumented("api_v2_alerts_post", [this](auto&... a) {
                 PostAlerts(a..., /*webhook_only=*/false);
               }));
    router.Add("POST", "/webhook", Instrumented("webhook", [this](auto&... a) {
                 PostAlerts(a..., /*webhook_only=*/true);
               }));
    router.Add("GET", "/api/v2/alerts",
               Instrumented("api_v2_alerts_get", [this](auto&... a) { GetAlerts(a...); }));
    router.Add("POST", "/-/reload",
               Instrumented("reload", [this](auto&... a) { Reload(a...); }));
    // Silences live in the Alertmanager in front of notifyd, not here. amtool pointed at the
    // shim by mistake should say so instead of "not found": a query lists none (true of this
    // API), an attempt to create one is refused with the reason (amtool prints a 404's body).
    router.Add("GET", "/api/v2/silences",
               Instrumented("api_v2_silences_get", [](const http::Request&, http::Responder& r) {
                 std::move(r)(http::Response::Json(200, "[]"));
               }));
    router.Add("POST", "/api/v2/silences",
               Instrumented("api_v2_silences_post", [](const http::Request&, http::Responder& r) {
                 std::move(r)(http::Response::Text(
                     404,
                     "wecom-notify keeps no silences: silence the alerts in the Alertmanager "
                     "that sends them here, or route them to a receiver without WeCom configs\n"));
               }));
    router.Add("GET", "/-/healthy", [](const http::Request&, http::Responder respond) {
      std::move(respond)(http::Response::Text(200, "OK"));
    });
    router.Add("GET", "/-/ready", [this](const http::Request&, http::Responder respond) {
      backend_->CheckServing([respond = std::move(respond)](bool serving) mutable {
        std::move(respond)(serving ? http::Response::Text(200, "OK")
                                   : http::Response::Text(503, "notifyd is not serving\n"));
      });
    });
    metrics::AddMetricsEndpoint(router, registry_, "webhook-shim");
    auto server = http::Server::Start(options_.web, std::move(router));
    if (!server.ok()) return server.status();
    server_ = *std::move(server);
    WatchCredential(options_.bearer_token_file, &bearer_token_);
    WatchCredential(options_.basic_password_file, &basic_password_);
    WatchNotifyAdminToken();
    return absl::OkStatus();
  }

  void Stop() override {
    for (auto& watcher : credential_watchers_) watcher->Stop();
    if (server_) server_->Stop();
  }
  int port() const override { return server_->port(); }

 private:
  using Body = std::function<void(const http::Request&, http::Responder&)>;

  // Wraps a handler with authentication and request metrics.
  http::Handler Instrumented(std::string name, Body body) {
    return [this, metrics = metrics_.ForHandler(name), body = std::move(body)](
               const http::Request& request, http::Responder respond) {
      const absl::Time start = absl::Now();
      http::Responder measured = [metrics, start,
                                  respond = std::move(respond)](http::Response r) mutable {
        metrics->Observe(r.status, absl::Now() - start);
        std::move(respond)(std::move(r));
      };
      std::string challenge;
      if (!Allows(request.Header("Authorization"), &challenge)) {
        http::Response r = http::Response::Text(401, "unauthorized\n");
        r.headers.emplace_back("WWW-Authenticate", std::move(challenge));
        return std::move(measured)(std::move(r));
      }
      body(request, measured);
    };
  }

  // Whether the credentials in use allow `authorization`; if not, their challenge.
  bool Allows(absl::string_view authorization, std::string* challenge) const {
    absl::ReaderMutexLock lock(&auth_mu_);
    if (auth_.Allows(authorization, Clock::Real())) return true;
    *challenge = auth_.challenge();
    return false;
  }

  // Follows `path` (when set): a changed secret becomes `*credential`, and the authenticator is
  // rebuilt from the credentials in use (the replaced ones accepted for the rotation grace).
  void WatchCredential(const std::string& path, std::string* credential) {
    if (path.empty() || options_.credentials_watch_interval <= absl::ZeroDuration()) return;
    credential_watchers_.push_back(WatchSecretFile(
        Clock::Real(), options_.credentials_watch_interval, path,
        [this, credential](std::string secret) {
          absl::MutexLock lock(&auth_mu_);
          *credential = std::move(secret);
          // Cannot fail: the kinds of credentials configured are those Start accepted.
          auto auth =
              Authenticator::Create(bearer_token_, options_.basic_username, basic_password_);
          if (auth.ok()) auth_.Rotate(*std::move(auth), Clock::Real().Now());
        }));
  }

  // Follows the file of notifyd's admin token, which the client presents on POST /-/reload.
  void WatchNotifyAdminToken() {
    if (notify_client_ == nullptr || options_.notify_admin_token_file.empty() ||
        options_.credentials_watch_interval <= absl::ZeroDuration()) {
      return;
    }
    credential_watchers_.push_back(WatchSecretFile(
        Clock::Real(), options_.credentials_watch_interval, options_.notify_admin_token_file,
        [client = notify_client_](std::string token) { client->SetAdminToken(std::move(token)); }));
  }

  void PostAlerts(const http::Request& request, http::Responder& respond, bool webhook_only) {
    absl::string_view type = request.Header("Content-Type");
    if (!type.empty() && !absl::StartsWithIgnoreCase(type, "application/json")) {
      return std::move(respond)(http::Response::Text(
          415, absl::StrCat("unsupported media type \"", type, "\", only application/json\n")));
    }
    if (options_.notify_alerts) {
      auto decoded = webhook_only ? alertmanager_json::DecodeWebhookBody(request.body)
                                  : alertmanager_json::DecodeAlertsBody(request.body);
      if (!decoded.ok()) return RefuseBody(decoded.status(), respond);
      const int count = static_cast<int>(decoded->alerts.size());
      return options_.notify_alerts(*std::move(decoded), AnswerPost(std::move(respond), count));
    }
    auto parsed = webhook_only ? alertmanager_json::ParseWebhookBody(request.body)
                               : alertmanager_json::ParseAlertsBody(request.body);
    if (!parsed.ok()) return RefuseBody(parsed.status(), respond);
    const int count = parsed->alerts_size();
    batcher_.Submit(*std::move(parsed), AnswerPost(std::move(respond), count));
  }

  static void RefuseBody(const absl::Status& status, http::Responder& respond) {
    std::move(respond)(http::Response::Json(400, JsonString(status.message())));
  }

  // The answer to a post of `count` alerts, once notifyd has handled them.
  static NotifyBackend::NotifyDone AnswerPost(http::Responder respond, int count) {
    return [respond = std::move(respond), count](const grpc::Status& status,
                                                 const NotifyResponse& response) mutable {
      if (!status.ok()) {
        logging::Warn("forward to notifyd failed",
                      {{"code", static_cast<int>(status.error_code())},
                       {"err", status.error_message()},
                       {"alerts", count}});
        return std::move(respond)(ForwardError(status));
      }
      if (response.rejected_size() == 0) return std::move(respond)(http::Response::Json(200, ""));
      std::vector<std::string> reasons;
      reasons.reserve(response.rejected_size());
      for (const auto& r : response.rejected()) {
        reasons.push_back(absl::StrCat("[", r.index(), "].", r.field(), ": ", r.reason()));
      }
      std::move(respond)(http::Response::Json(400, JsonString(absl::StrJoin(reasons, "; "))));
    };
  }

  void Reload(const http::Request&, http::Responder& respond) {
    backend_->ReloadConfig([respond = std::move(respond)](const grpc::Status& status) mutable {
      if (status.ok()) return std::move(respond)(http::Response::Text(200, ""));
      logging::Warn("configuration reload through notifyd failed",
                    {{"code", static_cast<int>(status.error_code())},
                     {"err", status.error_message()}});
      const bool unreachable = status.error_code() == grpc::StatusCode::UNAVAILABLE ||
                               status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
      std::move(respond)(http::Response::Text(
          unreachable ? 503 : 500,
          absl::StrCat("failed to reload config: ", status.error_message(), "\n")));
    });
  }

  void GetAlerts(const http::Request& request, http::Responder& respond) {
    wecom_notify::v1::ListAlertsRequest list;
    list.set_status(wecom_notify::v1::ALERT_STATUS_FIRING);  // Alertmanager hides resolved ones
    bool active = true;
    for (const auto& [name, value] : request.QueryParams()) {
      if (name == "filter") {
        auto matcher = alert::Matcher::Parse(value);
        if (!matcher.ok()) {
          return std::move(respond)(http::Response::Json(
              400, JsonString(absl::StrCat("filter: ", matcher.status().message()))));
        }
        auto* proto = list.add_matchers();
        proto->set_name(matcher->name());
        proto->set_value(matcher->value());
        proto->set_type(static_cast<wecom_notify::v1::LabelMatcher::Type>(matcher->type()));
      } else if (name == "active") {
        active = value != "false";
      }
      // silenced / inhibited: notifyd neither silences nor inhibits, so they filter nothing.
    }
    if (!active) return std::move(respond)(http::Response::Json(200, "[]"));
    backend_->ListAlerts(std::move(list), [respond = std::move(respond)](
                                            const grpc::Status& status,
                                            const wecom_notify::v1::ListAlertsResponse&
                                                response) mutable {
      if (!status.ok()) return std::move(respond)(ForwardError(status));
      std::move(respond)(
          http::Response::Json(200, alertmanager_json::GettableAlertsJson(response, {})));
    });
  }

  ShimOptions options_;
  // The credentials in use: the options' until a watched file changes.
  mutable absl::Mutex auth_mu_;
  std::string bearer_token_ ABSL_GUARDED_BY(auth_mu_);
  std::string basic_password_ ABSL_GUARDED_BY(auth_mu_);
  RotatingAuthenticator auth_ ABSL_GUARDED_BY(auth_mu_);
  std::vector<std::unique_ptr<FileWatcher>> credential_watchers_;
  std::shared_ptr<prometheus::Registry> registry_;
  ShimMetrics metrics_;
  std::shared_ptr<NotifyBackend> backend_;
  NotifyClient* notify_client_ = nullptr;  // backend_, when the shim made it
  NotifyBatcher batcher_;
  std::unique_ptr<http::Server> server_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Shim>> Shim::Start(const ShimOptions& options) {
  auto auth = Authenticator::Create(options.bearer_token, options.basic_username,
                                    options.basic_password);
  if (!auth.ok()) return auth.status();
  auto shim = std::make_unique<ShimImpl>(options, *std::move(auth));
  if (auto status = shim->Listen(); !status.ok()) return status;
  return shim;
}

}  // namespace wecom_notify::shim
