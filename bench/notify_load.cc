// notify_load: a load client for notifyd's gRPC API (wecom_notify.v1.Notify/Notify).
//
// Keeps --concurrency calls in flight (gRPC callback API) over --channels HTTP/2 connections,
// each call carrying --batch distinct alerts (the label `instance` holds a per-run prefix, the
// slot and a counter, so no two alerts of a run share a fingerprint). It stops issuing calls
// after --duration seconds or --requests calls, whichever comes first, waits for the calls in
// flight, and prints throughput and latency, the last line machine-readable:
//
//   RESULT requests=… ok=… failed=… alerts=… elapsed_s=… alerts_per_s=… p50_ms=… p99_ms=… max_ms=…
//
// `alerts` counts the alerts notifyd acknowledged (NotifyResponse.accepted) in successful calls;
// alerts_per_s = alerts / elapsed_s; latencies are per call, issue to completion. Used by
// bench/run.sh; runs alone too:  notify_load --target=127.0.0.1:9097 --batch=100
//
// Exit status: 0 when at least one call succeeded, 1 otherwise, 2 on a bad flag.

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "wecom_notify/v1/notify.grpc.pb.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string target = "127.0.0.1:9097";
  int batch = 1;
  int concurrency = 64;
  int channels = 1;
  double duration_s = 10;
  int64_t max_requests = 10'000'000;
  double timeout_s = 10;
  std::string prefix = "g";
};

constexpr const char* kUsage =
    "Usage: notify_load [--target=host:port] [--batch=N] [--concurrency=N] [--channels=N]\n"
    "                   [--duration=SECONDS] [--requests=N] [--timeout=SECONDS] [--prefix=S]\n";

bool ParseFlags(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    const auto eq = arg.find('=');
    if (arg.rfind("--", 0) != 0 || eq == std::string::npos) return false;
    const std::string name = arg.substr(2, eq - 2), value = arg.substr(eq + 1);
    char* end = nullptr;
    if (name == "target") {
      o.target = value;
      continue;
    }
    if (name == "prefix") {
      o.prefix = value;
      continue;
    }
    const double number = std::strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0' || number <= 0) return false;
    if (name == "batch") {
      o.batch = static_cast<int>(number);
    } else if (name == "concurrency") {
      o.concurrency = static_cast<int>(number);
    } else if (name == "channels") {
      o.channels = static_cast<int>(number);
    } else if (name == "duration") {
      o.duration_s = number;
    } else if (name == "requests") {
      o.max_requests = static_cast<int64_t>(number);
    } else if (name == "timeout") {
      o.timeout_s = number;
    } else {
      return false;
    }
  }
  return o.batch >= 1 && o.concurrency >= 1 && o.channels >= 1;
}

class LoadRun {
 public:
  explicit LoadRun(const Options& options) : options_(options), slots_(options.concurrency) {
    for (int i = 0; i < options.channels; ++i) {
      grpc::ChannelArguments args;
      args.SetMaxReceiveMessageSize(64 << 20);
      args.SetInt("wecom_notify.bench.channel", i);  // a distinct connection per channel
      channels_.push_back(
          grpc::CreateCustomChannel(options.target, grpc::InsecureChannelCredentials(), args));
      stubs_.push_back(wecom_notify::v1::Notify::NewStub(channels_.back()));
    }
    for (int i = 0; i < options.concurrency; ++i) {
      slots_[i].index = i;
      slots_[i].latencies_us.reserve(1 << 16);
    }
  }

  bool Connect() {
    const auto deadline = std::chrono::system_clock::now() + std::chrono::seconds(5);
    for (auto& channel : channels_) {
      if (!channel->WaitForConnected(deadline)) return false;
    }
    return true;
  }

  void Run() {
    start_ = Clock::now();
    stop_at_ = start_ + std::chrono::duration_cast<Clock::duration>(
                            std::chrono::duration<double>(options_.duration_s));
    active_ = options_.concurrency;
    for (auto& slot : slots_) Issue(slot);
    std::unique_lock<std::mutex> lock(mu_);
    done_cv_.wait(lock, [this] { return active_ == 0; });
    end_ = Clock::now();
  }

  int Report() const {
    std::vector<uint32_t> all;
    int64_t ok = 0, failed = 0, alerts = 0;
    for (const auto& slot : slots_) {
      all.insert(all.end(), slot.latencies_us.begin(), slot.latencies_us.end());
      ok += slot.ok;
      failed += slot.failed;
      alerts += slot.accepted;
    }
    const double elapsed = std::chrono::duration<double>(end_ - start_).count();
    auto percentile = [&all](double p) -> double {
      if (all.empty()) return 0;
      const size_t k = std::min(all.size() - 1, static_cast<size_t>(p / 100.0 * all.size()));
      std::nth_element(all.begin(), all.begin() + k, all.end());
      return all[k] / 1000.0;
    };
    const double p50 = percentile(50), p99 = percentile(99);
    const double max_ms = all.empty() ? 0 : *std::max_element(all.begin(), all.end()) / 1000.0;
    if (!first_error_.empty()) std::fprintf(stderr, "first error: %s\n", first_error_.c_str());
    std::printf(
        "notify_load: %s batch=%d concurrency=%d channels=%d: %lld calls (%lld failed), "
        "%lld alerts in %.2f s = %.0f alerts/s, p50 %.3f ms, p99 %.3f ms\n",
        options_.target.c_str(), options_.batch, options_.concurrency, options_.channels,
        static_cast<long long>(ok + failed), static_cast<long long>(failed),
        static_cast<long long>(alerts), elapsed, elapsed > 0 ? alerts / elapsed : 0.0, p50, p99);
    std::printf(
        "RESULT requests=%lld ok=%lld failed=%lld alerts=%lld elapsed_s=%.3f alerts_per_s=%.1f "
        "p50_ms=%.3f p99_ms=%.3f max_ms=%.3f\n",
        static_cast<long long>(ok + failed), static_cast<long long>(ok),
        static_cast<long long>(failed), static_cast<long long>(alerts), elapsed,
        elapsed > 0 ? alerts / elapsed : 0.0, p50, p99, max_ms);
    std::fflush(stdout);
    return ok > 0 ? 0 : 1;
  }

 private:
  // One in-flight call at a time; touched only by the thread running its completion, in turn.
  struct Slot {
    int index = 0;
    uint64_t seq = 0;
    std::unique_ptr<grpc::ClientContext> context;
    wecom_notify::v1::NotifyRequest request;
    wecom_notify::v1::NotifyResponse response;
    Clock::time_point issued_at;
    std::vector<uint32_t> latencies_us;
    int64_t ok = 0, failed = 0, accepted = 0;
  };

  void Fill(Slot& slot) {
    slot.request.Clear();
    slot.request.set_source(wecom_notify::v1::ALERT_SOURCE_GRPC);
    char instance[96];
    for (int i = 0; i < options_.batch; ++i) {
      const uint64_t n = slot.seq++;
      std::snprintf(instance, sizeof instance, "%s-%d-%llu", options_.prefix.c_str(), slot.index,
                    static_cast<unsigned long long>(n));
      auto* alert = slot.request.add_alerts();
      auto& labels = *alert->mutable_labels();
      labels["alertname"] = "BenchGrpc";
      labels["job"] = "bench";
      labels["severity"] = "warning";
      labels["instance"] = instance;
      (*alert->mutable_annotations())["summary"] = "bench alert";
      alert->set_generator_url("http://127.0.0.1/bench");
    }
  }

  void Issue(Slot& slot) {
    if (Clock::now() >= stop_at_ || issued_.fetch_add(1) >= options_.max_requests) {
      std::lock_guard<std::mutex> lock(mu_);
      if (--active_ == 0) done_cv_.notify_all();
      return;
    }
    Fill(slot);
    slot.response.Clear();
    slot.context = std::make_unique<grpc::ClientContext>();
    slot.context->set_deadline(std::chrono::system_clock::now() +
                               std::chrono::milliseconds(
                                   static_cast<int64_t>(options_.timeout_s * 1000)));
    auto& stub = stubs_[slot.index % stubs_.size()];
    slot.issued_at = Clock::now();
    stub->async()->Notify(slot.context.get(), &slot.request, &slot.response,
                          [this, &slot](grpc::Status status) { Completed(slot, status); });
  }

  void Completed(Slot& slot, const grpc::Status& status) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() -
                                                                          slot.issued_at);
    slot.latencies_us.push_back(static_cast<uint32_t>(std::min<int64_t>(us.count(), UINT32_MAX)));
    if (status.ok()) {
      ++slot.ok;
      slot.accepted += slot.response.accepted();
    } else {
      ++slot.failed;
      std::lock_guard<std::mutex> lock(mu_);
      if (first_error_.empty()) {
        first_error_ = std::to_string(status.error_code()) + " " + status.error_message();
      }
    }
    Issue(slot);
  }

  const Options options_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::vector<std::unique_ptr<wecom_notify::v1::Notify::Stub>> stubs_;
  std::vector<Slot> slots_;
  std::atomic<int64_t> issued_{0};
  Clock::time_point start_, stop_at_, end_;
  std::mutex mu_;
  std::condition_variable done_cv_;
  int active_ = 0;
  std::string first_error_;
};

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!ParseFlags(argc, argv, options)) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  LoadRun run(options);
  if (!run.Connect()) {
    std::fprintf(stderr, "notify_load: cannot connect to %s within 5 s\n", options.target.c_str());
    return 1;
  }
  run.Run();
  return run.Report();
}
