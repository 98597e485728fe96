// File: tests/storage/storage_bench.cc
//
// Throughput of durable alert writes: N submitter threads, each submitting requests of K alerts
// and waiting for each acknowledgement (as the shim does), either through one GroupCommitter or
// each calling SqliteStateStore::PutAlerts itself. Prints one line per configuration. Every
// alert is new (the store grows), except in the last rows, where the same 20,000 alerts are
// written over and over (as Prometheus re-sends firing alerts), so superseded versions pile up
// and GroupCommitter's Compact() calls reclaim them.
//
//   storage_bench [seconds per configuration, default 1] [directory, default a temp dir]

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "libs/alert/alert.h"
#include "libs/storage/group_committer.h"
#include "libs/storage/sqlite_state_store.h"

namespace wecom_notify::storage {
namespace {

// A typical alert: five labels, two annotations, a URL.
alert::Alert Template() {
  alert::Alert alert;
  alert.labels = alert::LabelSet({{"alertname", "DiskFull"},
                                  {"instance", "node-0001.example:9100"},
                                  {"job", "node"},
                                  {"mountpoint", "/data"},
                                  {"severity", "critical"}});
  alert.annotations = alert::LabelSet(
      {{"summary", "磁盘 /data 使用率 97%"}, {"description", "node-0001 上的 /data 将在 4 小时内写满"}});
  alert.starts_at = absl::Now();
  alert.updated_at = alert.starts_at;
  alert.ends_at = alert.starts_at + absl::Minutes(5);
  alert.ends_at_from_timeout = true;
  alert.generator_url = "http://prometheus.example:9090/graph?g0.expr=disk_free";
  return alert;
}

// A bijective 64-bit mix (splitmix64's finalizer): distinct counters stay distinct keys.
uint64_t Scatter(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Waits for one acknowledgement; reused by a submitter thread for all its requests.
class Waiter {
 public:
  void Reset() {
    absl::MutexLock lock(&mu_);
    done_ = false;
  }
  void Done(absl::Status status) {
    absl::MutexLock lock(&mu_);
    status_ = std::move(status);
    done_ = true;
  }
  absl::Status Wait() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&done_));
    return status_;
  }

 private:
  absl::Mutex mu_;
  bool done_ = false;
  absl::Status status_;
};

struct Result {
  double alerts_per_second = 0;
  double requests_per_second = 0;
  double alerts_per_batch = 0;
  double mean_latency_us = 0;
};

// working_set = 0: every alert new; otherwise alerts cycle through that many fingerprints.
Result Run(SqliteStateStore& store, bool group_commit, int submitters, int alerts_per_request,
           absl::Duration duration, std::atomic<uint64_t>& next_fingerprint,
           uint64_t working_set = 0) {
  std::unique_ptr<GroupCommitter> committer;
  if (group_commit) committer = std::make_unique<GroupCommitter>(store);
  const alert::Alert prototype = Template();
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> latency_ns{0};
  std::atomic<bool> failed{false};
  const auto start = std::chrono::steady_clock::now();
  const auto end = start + absl::ToChronoNanoseconds(duration);
  std::vector<std::thread> threads;
  for (int t = 0; t < submitters; ++t) {
    threads.emplace_back([&] {
      Waiter waiter;
      while (std::chrono::steady_clock::now() < end) {
        // Building the request is the client's cost, included in the figures.
        std::vector<alert::Alert> alerts(alerts_per_request, prototype);
        // Real fingerprints are hashes: spread over the key space, so every new alert lands on
        // a random page of the table, not at its end.
        for (alert::Alert& alert : alerts) {
          const uint64_t n = next_fingerprint++;
          alert.fingerprint = Scatter(working_set == 0 ? n : n % working_set);
        }
        const auto sent = std::chrono::steady_clock::now();
        absl::Status status;
        if (committer != nullptr) {
          waiter.Reset();
          committer->Submit(std::move(alerts), [&waiter](absl::Status s) { waiter.Done(s); });
          status = waiter.Wait();
        } else {
          status = store.PutAlerts(alerts);
        }
        if (!status.ok()) {
          std::fprintf(stderr, "write failed: %s\n", status.ToString().c_str());
          failed = true;
          return;
        }
        latency_ns += std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::steady_clock::now() - sent)
                          .count();
        ++requests;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (failed) std::exit(1);
  Result result;
  result.requests_per_second = requests / seconds;
  result.alerts_per_second = result.requests_per_second * alerts_per_request;
  result.mean_latency_us = requests > 0 ? latency_ns / 1000.0 / requests : 0;
  if (committer != nullptr) {
    committer->Shutdown();
    const GroupCommitter::Stats stats = committer->GetStats();
    result.alerts_per_batch = stats.batches > 0 ? double(stats.alerts) / stats.batches : 0;
  } else {
    result.alerts_per_batch = alerts_per_request;
  }
  return result;
}

int Main(int argc, char** argv) {
  const absl::Duration duration = absl::Seconds(argc > 1 ? std::atof(argv[1]) : 1.0);
  std::string dir;
  if (argc > 2) {
    dir = argv[2];
  } else {
    char pattern[] = "/tmp/storage_bench.XXXXXX";
    if (mkdtemp(pattern) == nullptr) return 1;
    dir = pattern;
  }
  std::printf("storage_bench: %s per configuration, database under %s\n",
              absl::FormatDuration(duration).c_str(), dir.c_str());
  std::printf("%-7s %-18s %10s %12s %12s %12s %14s\n", "sync", "mode", "submitters",
              "alerts/req", "alerts/s", "requests/s", "alerts/batch");
  std::atomic<uint64_t> next_fingerprint{1};
  for (auto synchronous :
       {SqliteStateStore::Synchronous::kNormal, SqliteStateStore::Synchronous::kFull}) {
    const std::string sub = absl::StrCat(
        dir, synchronous == SqliteStateStore::Synchronous::kFull ? "/full" : "/normal");
    SqliteStateStore::Options options;
    options.synchronous = synchronous;
    auto store = SqliteStateStore::Open(sub, options);
    if (!store.ok()) {
      std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
      return 1;
    }
    for (bool group_commit : {true, false}) {
      for (int alerts_per_request : {1, 100}) {
        for (int submitters : {1, 8, 64}) {
          const Result r = Run(**store, group_commit, submitters, alerts_per_request, duration,
                               next_fingerprint);
          std::printf("%-7s %-18s %10d %12d %12.0f %12.0f %14.1f   (mean ack %.0f us)\n",
                      synchronous == SqliteStateStore::Synchronous::kFull ? "FULL" : "NORMAL",
                      group_commit ? "GroupCommit" : "direct", submitters, alerts_per_request,
                      r.alerts_per_second, r.requests_per_second, r.alerts_per_batch,
                      r.mean_latency_us);
          std::fflush(stdout);
        }
      }
    }
    // A store of its own, so the superseded rows, not the alerts of the rows above, decide
    // when Compact() has work.
    auto resend_store = SqliteStateStore::Open(absl::StrCat(sub, "-resend"), options);
    if (!resend_store.ok()) {
      std::fprintf(stderr, "%s\n", resend_store.status().ToString().c_str());
      return 1;
    }
    for (int submitters : {8, 64}) {
      const Result r = Run(**resend_store, /*group_commit=*/true, submitters, 100, duration,
                           next_fingerprint, /*working_set=*/20'000);
      std::printf("%-7s %-18s %10d %12d %12.0f %12.0f %14.1f   (mean ack %.0f us)\n",
                  synchronous == SqliteStateStore::Synchronous::kFull ? "FULL" : "NORMAL",
                  "GroupCommit resend", submitters, 100, r.alerts_per_second,
                  r.requests_per_second, r.alerts_per_batch, r.mean_latency_us);
      std::fflush(stdout);
    }
  }
  return 0;
}

}  // namespace
}  // namespace wecom_notify::storage

int main(int argc, char** argv) { return wecom_notify::storage::Main(argc, argv); }
