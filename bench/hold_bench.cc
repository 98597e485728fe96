// File: bench/hold_bench.cc
//
// What it costs notifyd to take a million alerts into memory — the store's table and one
// dispatcher group's table, both keyed by fingerprint and far larger than the CPU caches — one
// alert per call against batches of 100 (as a 100-alert request arrives), side by side in one
// run. A batch takes each store shard's lock once and prefetches the tables' slots a few alerts
// ahead (libs/common/prefetch_ahead.h); single calls cannot. Prints ns per alert and the ratio;
// asserts nothing.
//
//   hold_bench [alerts, default 1000000] [rounds, default 3]

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "libs/alert/alert.h"
#include "libs/dispatch/dispatcher.h"
#include "libs/dispatch/route.h"
#include "libs/store/alert_store.h"

namespace wecom_notify {
namespace {

constexpr std::size_t kBatch = 100;
const absl::Time kNow = absl::FromUnixSeconds(1'790'000'000);

// The benchmark's alert (bench/wrk/alerts.lua): four labels, one annotation, a URL.
std::vector<alert::Alert> MakeAlerts(std::size_t count) {
  std::vector<alert::Alert> alerts(count);
  for (std::size_t i = 0; i < count; ++i) {
    alert::Alert& a = alerts[i];
    a.labels = alert::LabelSet({{"alertname", "BenchHold"},
                                {"instance", absl::StrCat("host-", i)},
                                {"job", "bench"},
                                {"severity", "warning"}});
    a.annotations = alert::LabelSet({{"summary", absl::StrCat("bench alert ", i)}});
    a.generator_url = "http://127.0.0.1/bench";
    a.starts_at = kNow;
    alert::Normalize(a, kNow, absl::Minutes(5));
  }
  return alerts;
}

// Slices of `per_call` alerts, made before the clock starts.
std::vector<std::vector<alert::Alert>> Slices(const std::vector<alert::Alert>& alerts,
                                              std::size_t per_call) {
  std::vector<std::vector<alert::Alert>> slices;
  for (std::size_t i = 0; i < alerts.size(); i += per_call) {
    slices.emplace_back(alerts.begin() + i, alerts.begin() + std::min(alerts.size(), i + per_call));
  }
  return slices;
}

template <typename Work>
double NanosPerAlert(std::size_t alerts, const Work& work) {
  const auto start = std::chrono::steady_clock::now();
  work();
  const std::chrono::duration<double, std::nano> took = std::chrono::steady_clock::now() - start;
  return took.count() / static_cast<double>(alerts);
}

double StorePut(const std::vector<alert::Alert>& alerts, std::size_t per_call,
                std::vector<store::SharedAlert>* versions) {
  std::vector<std::vector<alert::Alert>> slices = Slices(alerts, per_call);
  store::AlertStore held;
  versions->clear();
  versions->reserve(alerts.size());
  return NanosPerAlert(alerts.size(), [&] {
    for (auto& slice : slices) held.Put(std::move(slice), kNow, versions);
  });
}

double DispatcherInsert(const std::vector<store::SharedAlert>& versions, std::size_t per_call) {
  dispatch::RouteSpec root;  // every alert in one group, as bench.py's null route
  root.receiver = "null";
  dispatch::Dispatcher dispatcher(*dispatch::Route::BuildTree(root));
  return NanosPerAlert(versions.size(), [&] {
    for (std::size_t i = 0; i < versions.size(); i += per_call) {
      dispatcher.Insert(
          absl::MakeConstSpan(versions).subspan(i, std::min(per_call, versions.size() - i)), kNow);
    }
  });
}

// `before` and `after` in ns per alert.
void Report(const char* what, const char* before_label, double before, const char* after_label,
            double after) {
  std::printf("%-30s %-22s %7.1f ns/alert   %-26s %7.1f ns/alert   %.2fx\n", what, before_label,
              before, after_label, after, before / after);
}

int Main(int argc, char** argv) {
  const std::size_t count = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 3;
  std::printf("hold_bench: %zu distinct alerts, %d rounds, each into fresh tables\n", count,
              rounds);
  const std::vector<alert::Alert> alerts = MakeAlerts(count);
  std::vector<store::SharedAlert> versions;
  for (int round = 0; round < rounds; ++round) {
    const double put_single = StorePut(alerts, 1, &versions);
    const double put_batched = StorePut(alerts, kBatch, &versions);
    Report("AlertStore::Put", "one alert per call", put_single, "100 per call", put_batched);
    Report("Dispatcher::Insert, one group", "one alert per call", DispatcherInsert(versions, 1),
           "100 per call", DispatcherInsert(versions, kBatch));
  }
  return 0;
}

}  // namespace
}  // namespace wecom_notify

int main(int argc, char** argv) { return wecom_notify::Main(argc, argv); }
