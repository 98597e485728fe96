#include <nlohmann/json.hpp>

#include "libs/alert/alert_proto.h"
#include "libs/alertmanager_json/alertmanager_json.h"

namespace wecom_notify::alertmanager_json {
namespace {

std::string FormatTime(const google::protobuf::Timestamp& ts) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", alert::TimeFromProto(ts), absl::UTCTimeZone());
}

nlohmann::ordered_json StringMap(const google::protobuf::Map<std::string, std::string>& map) {
  // Alertmanager's encoder sorts map keys; protobuf maps are unordered.
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  std::vector<std::pair<std::string, std::string>> sorted(map.begin(), map.end());
  std::sort(sorted.begin(), sorted.end());
  for (auto& [k, v] : sorted) out[k] = v;
  return out;
}

}  // namespace

std::string GettableAlertsJson(const wecom_notify::v1::ListAlertsResponse& alerts,
                               const std::vector<std::string>& receiver_names) {
  nlohmann::ordered_json receivers = nlohmann::ordered_json::array();
  for (const auto& name : receiver_names) receivers.push_back({{"name", name}});
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& a : alerts.alerts()) {
    nlohmann::ordered_json item;
    item["annotations"] = StringMap(a.annotations());
    item["endsAt"] = FormatTime(a.ends_at());
    item["fingerprint"] = a.fingerprint();
    item["receivers"] = receivers;
    item["startsAt"] = FormatTime(a.starts_at());
    item["status"] = {{"inhibitedBy", nlohmann::ordered_json::array()},
                      {"silencedBy", nlohmann::ordered_json::array()},
                      {"state", "active"}};
    item["updatedAt"] = FormatTime(a.updated_at());
    item["generatorURL"] = a.generator_url();
    item["labels"] = StringMap(a.labels());
    out.push_back(std::move(item));
  }
  return out.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace wecom_notify::alertmanager_json
