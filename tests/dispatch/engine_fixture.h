// Test fixture: Dispatcher + Pipeline + a scripted integration, driven in simulated time.

#ifndef WECOM_NOTIFY_TESTS_DISPATCH_ENGINE_FIXTURE_H_
#define WECOM_NOTIFY_TESTS_DISPATCH_ENGINE_FIXTURE_H_

#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "libs/common/clock.h"
#include "libs/dispatch/dispatcher.h"
#include "libs/dispatch/pipeline.h"
#include "libs/store/shared_alert.h"

namespace wecom_notify::dispatch {

// Records what it is asked to send; answers from a script (OK once the script runs out).
class FakeIntegration : public Integration {
 public:
  FakeIntegration(std::string name, bool send_resolved)
      : name_(std::move(name)), send_resolved_(send_resolved) {}

  const std::string& name() const override { return name_; }
  bool send_resolved() const override { return send_resolved_; }
  absl::Status Notify(const Notification& n) override {
    ++attempts;
    absl::Status result = absl::OkStatus();
    if (!script.empty()) {
      result = script.front();
      script.pop_front();
    }
    if (result.ok()) sent.push_back(n);
    return result;
  }

  std::deque<absl::Status> script;
  std::vector<Notification> sent;
  int attempts = 0;

 private:
  std::string name_;
  bool send_resolved_;
};

class EngineTest : public ::testing::Test {
 protected:
  static constexpr absl::Duration kResolveTimeout = absl::Minutes(5);

  EngineTest() : t0_(clock_.Now()), pipeline_(std::make_unique<Pipeline>(clock_, nullptr)) {}

  void Configure(RouteSpec root, bool send_resolved = true) {
    if (!root.receiver) root.receiver = "wecom";
    auto tree = Route::BuildTree(root);
    ASSERT_TRUE(tree.ok()) << tree.status();
    root_ = *tree;
    dispatcher_ = std::make_unique<Dispatcher>(root_);
    integration_ = std::make_shared<FakeIntegration>("wecom_app/0", send_resolved);
    auto receivers = std::make_shared<Receivers>();
    (*receivers)["wecom"] = {integration_};
    pipeline_->SetReceivers(receivers);
  }

  // Simple grouping: by alertname, with the given timers.
  static RouteSpec ByAlertname(absl::Duration wait, absl::Duration interval, absl::Duration repeat) {
    RouteSpec root;
    root.group_by = std::vector<std::string>{"alertname"};
    root.group_wait = wait;
    root.group_interval = interval;
    root.repeat_interval = repeat;
    return root;
  }

  // Posts an alert now; `ends_in` unset means Alertmanager's resolve_timeout applies.
  alert::Alert Post(alert::LabelSet labels, std::optional<absl::Duration> ends_in = std::nullopt,
                    std::optional<absl::Duration> started_ago = std::nullopt) {
    alert::Alert a;
    a.labels = std::move(labels);
    // Prometheus sends both times; an alert with only endsAt would start at its end.
    a.starts_at = clock_.Now() - started_ago.value_or(absl::ZeroDuration());
    if (ends_in) a.ends_at = clock_.Now() + *ends_in;
    alert::Normalize(a, clock_.Now(), kResolveTimeout);
    dispatcher_->Insert(store::SharedAlert(a), clock_.Now());
    return a;
  }

  // Runs every flush due up to t0 + `offset`, in time order, then sets the clock there.
  void AdvanceTo(absl::Duration offset) {
    const absl::Time target = t0_ + offset;
    while (true) {
      auto next = dispatcher_->NextDeadline();
      if (!next || *next > target) break;
      if (*next > clock_.Now()) clock_.Set(*next);
      for (const Flush& flush : dispatcher_->TakeDue(clock_.Now())) {
        dispatcher_->Complete(flush.id, pipeline_->Run(flush));
      }
    }
    if (target > clock_.Now()) clock_.Set(target);
  }

  std::size_t SentCount() const { return integration_->sent.size(); }
  const Notification& LastSent() const { return integration_->sent.back(); }

  SimulatedClock clock_;
  const absl::Time t0_;
  std::shared_ptr<const Route> root_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::unique_ptr<Pipeline> pipeline_;
  std::shared_ptr<FakeIntegration> integration_;
};

}  // namespace wecom_notify::dispatch

#endif  // WECOM_NOTIFY_TESTS_DISPATCH_ENGINE_FIXTURE_H_
