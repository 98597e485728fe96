// File: bench/hold_bench.cc
//
// What it costs notifyd to take a million alerts into memory — the store's table and one
// dispatcher group's table, both keyed by fingerprint and far larger than the CPU caches — one
// alert per call against batches of 100 (as a 100-alert request arrives), side by side in one
// run. A batch takes each store shard's lock once and prefetches the tables' slots a few alerts
// ahead (libs/common/prefetch_ahead.h); single calls cannot. Prints ns per alert, the longest
// call (the one in which the group's table grew, moving every alert it held) and the ratio;
// asserts nothing. Every call is timed: two clock reads per call are in the figures.
//
//   hold_bench [alerts, default 1000000] [rounds, default 3]

#include <algorithm>
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

// What one variant cost: ns per alert over the whole run, and its longest call — a table
// growing inside the call (every element moved) is the pause the caller waits through.
struct Cost {
  double nanos_per_alert = 0;
  double longest_call_micros = 0;
};

// Runs `call(i)` for i = 0, per_call, 2 * per_call, … below `alerts`, timing each call.
template <typename Call>
Cost Measure(std::size_t alerts, std::size_t per_call, const Call& call) {
  using Clock = std::chrono::steady_clock;
  std::chrono::duration<double, std::micro> longest{0};
  const auto start = Clock::now();
  for (std::size_t i = 0; i < alerts; i += per_call) {
    const auto call_start = Clock::now();
    call(i);
    longest =
        std::max<std::chrono::duration<double, std::micro>>(longest, Clock::now() - call_start);
  }
  const std::chrono::duration<double, std::nano> took = Clock::now() - start;
  return Cost{took.count() / static_cast<double>(alerts), longest.count()};
}

Cost StorePut(const std::vector<alert::Alert>& alerts, std::size_t per_call,
              std::vector<store::SharedAlert>* versions) {
  std::vector<std::vector<alert::Alert>> slices = Slices(alerts, per_call);
  store::AlertStore held;
  versions->clear();
  versions->reserve(alerts.size());
  return Measure(alerts.size(), per_call,
                 [&](std::size_t i) { held.Put(std::move(slices[i / per_call]), kNow, versions); });
}

Cost DispatcherInsert(const std::vector<store::SharedAlert>& versions, std::size_t per_call) {
  dispatch::RouteSpec root;  // every alert in one group, as bench.py's null route
  root.receiver = "null";
  dispatch::Dispatcher dispatcher(*dispatch::Route::BuildTree(root));
  return Measure(versions.size(), per_call, [&](std::size_t i) {
    dispatcher.Insert(
        absl::MakeConstSpan(versions).subspan(i, std::min(per_call, versions.size() - i)), kNow);
  });
}

// `before` and `after`: ns per alert, and the longest call in µs.
void Report(const char* what, const char* before_label, const Cost& before, const char* after_label,
            const Cost& after) {
  std::printf(
      "%-30s %-20s %7.1f ns/alert (longest call %8.1f µs)   %-14s %7.1f ns/alert "
      "(longest call %8.1f µs)   %.2fx\n",
      what, before_label, before.nanos_per_alert, before.longest_call_micros, after_label,
      after.nanos_per_alert, after.longest_call_micros,
      before.nanos_per_alert / after.nanos_per_alert);
}

int Main(int argc, char** argv) {
  const std::size_t count = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 3;
  std::printf("hold_bench: %zu distinct alerts, %d rounds, each into fresh tables\n", count,
              rounds);
  const std::vector<alert::Alert> alerts = MakeAlerts(count);
  std::vector<store::SharedAlert> versions;
  for (int round = 0; round < rounds; ++round) {
    const Cost put_single = StorePut(alerts, 1, &versions);
    const Cost put_batched = StorePut(alerts, kBatch, &versions);
    Report("AlertStore::Put", "one alert per call", put_single, "100 per call", put_batched);
    Report("Dispatcher::Insert, one group", "one alert per call", DispatcherInsert(versions, 1),
           "100 per call", DispatcherInsert(versions, kBatch));
  }
  return 0;
}

}  // namespace
}  // namespace wecom_notify

int main(int argc, char** argv) { return wecom_notify::Main(argc, argv); }
