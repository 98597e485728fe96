#include "libs/admin/config_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace wecom_notify::admin {
namespace {

std::string Fnv1a(const std::string& text) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return absl::StrFormat("%016x", h);
}

const char* TypeName(config::MessageType t) {
  return t == config::MessageType::kText ? "text" : "markdown";
}

YAML::Node IdList(const std::vector<std::string>& ids) {
  YAML::Node n(YAML::NodeType::Sequence);
  for (const auto& id : ids) n.push_back(id);
  return n;
}

YAML::Node ReceiverNode(const config::ReceiverConfig& r, const config::GlobalConfig& global) {
  YAML::Node node;
  node["name"] = r.name;
  for (const auto& c : r.wecom_configs) {
    YAML::Node e;
    // What the global section supplies stays there (a global secret is not copied inline).
    if (c.corp_id != global.wechat_api_corp_id) e["corp_id"] = c.corp_id;
    e["agent_id"] = c.agent_id;
    if (!c.api_secret_file.empty()) {
      e["api_secret_file"] = c.api_secret_file;
    } else if (c.api_secret != global.wechat_api_secret) {
      e["api_secret"] = c.api_secret;
    }
    if (!c.to_user.empty()) e["to_user"] = IdList(c.to_user);
    if (!c.to_party.empty()) e["to_party"] = IdList(c.to_party);
    if (!c.to_tag.empty()) e["to_tag"] = IdList(c.to_tag);
    e["message_type"] = TypeName(c.message_type);
    e["send_resolved"] = c.send_resolved;
    e["enabled"] = c.enabled;
    if (!c.api_url.empty() && c.api_url != global.wecom_api_url) e["api_url"] = c.api_url;
    if (!c.proxy_url.empty() && c.proxy_url != global.http_proxy) e["proxy_url"] = c.proxy_url;
    if (c.account_limit > 0) e["account_limit"] = c.account_limit;
    if (c.proxy_from_environment != global.proxy_from_environment) {
      e["http_config"]["proxy_from_environment"] = c.proxy_from_environment;
    }
    node["wecom_configs"].push_back(e);
  }
  for (const auto& c : r.robot_configs) {
    YAML::Node e;
    if (!c.webhook_key_file.empty()) e["webhook_key_file"] = c.webhook_key_file;
    else e["webhook_key"] = c.webhook_key;
    if (!c.mentioned_list.empty()) e["mentioned_list"] = IdList(c.mentioned_list);
    if (!c.mentioned_mobile_list.empty()) {
      e["mentioned_mobile_list"] = IdList(c.mentioned_mobile_list);
    }
    e["message_type"] = TypeName(c.message_type);
    e["send_resolved"] = c.send_resolved;
    e["enabled"] = c.enabled;
    if (!c.api_url.empty() && c.api_url != global.wecom_api_url) e["api_url"] = c.api_url;
    if (!c.proxy_url.empty() && c.proxy_url != global.http_proxy) e["proxy_url"] = c.proxy_url;
    node["wecom_robot_configs"].push_back(e);
  }
  return node;
}

std::string Emit(const YAML::Node& node) {
  YAML::Emitter out;
  out << node;
  return std::string(out.c_str()) + "\n";
}

absl::Status Errno(absl::string_view what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " \"", path, "\": ", std::strerror(errno)));
}

}  // namespace

std::string ReceiverToYaml(const config::ReceiverConfig& receiver,
                           const config::GlobalConfig& global) {
  return Emit(ReceiverNode(receiver, global));
}

absl::Status WriteFileAtomically(const std::string& path, const std::string& text) {
  std::string tmp = absl::StrCat(path, ".tmp.XXXXXX");
  const int fd = mkstemp(tmp.data());
  if (fd < 0) return Errno("cannot create a temporary file next to", path);
  struct stat st;
  if (stat(path.c_str(), &st) == 0) fchmod(fd, st.st_mode & 07777);
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      absl::Status s = Errno("cannot write", tmp);
      close(fd);
      unlink(tmp.c_str());
      return s;
    }
    done += static_cast<std::size_t>(n);
  }
  if (fsync(fd) != 0) {
    absl::Status s = Errno("cannot fsync", tmp);
    close(fd);
    unlink(tmp.c_str());
    return s;
  }
  close(fd);
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    absl::Status s = Errno("cannot rename over", path);
    unlink(tmp.c_str());
    return s;
  }
  const int dir = open(config::ConfigDir(path).c_str(), O_RDONLY | O_DIRECTORY);
  if (dir >= 0) {
    fsync(dir);
    close(dir);
  }
  return absl::OkStatus();
}

ConfigStore::ConfigStore(config::Config initial, std::string path, ApplyFn apply)
    : path_(std::move(path)), apply_(std::move(apply)), config_(std::move(initial)) {
  if (!path_.empty()) {
    std::ifstream in(path_);
    std::stringstream text;
    text << in.rdbuf();
    text_ = text.str();
  }
  version_ = Fnv1a(text_);
}

ConfigStore::Snapshot ConfigStore::Get() const {
  absl::MutexLock lock(&mu_);
  return Snapshot{config_, version_, path_};
}

std::string ConfigStore::Text() const {
  absl::MutexLock lock(&mu_);
  return text_;
}

absl::Status ConfigStore::Replace(const config::Config& config, const std::string* text) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = apply_(config); !s.ok()) return s;
  config_ = config;
  if (text != nullptr) {
    text_ = *text;
    version_ = Fnv1a(text_);
  } else if (!path_.empty()) {
    std::ifstream in(path_);
    std::stringstream read;
    read << in.rdbuf();
    text_ = read.str();
    version_ = Fnv1a(text_);
  } else {
    version_ = Fnv1a(absl::StrCat("memory:", ++generation_));
  }
  return absl::OkStatus();
}

absl::StatusOr<ConfigStore::Snapshot> ConfigStore::CommitLocked(
    const std::string& text, const std::string& expected_version) {
  if (path_.empty()) {
    return absl::FailedPreconditionError(
        "notifyd runs without --config.file: a change could not survive a restart; start it "
        "with --config.file");
  }
  if (!expected_version.empty() && expected_version != version_) {
    return absl::AbortedError(absl::StrCat("the configuration changed meanwhile (version ",
                                           version_, ", expected ", expected_version,
                                           "); read it again"));
  }
  auto parsed = config::ParseConfig(text, path_, config::ConfigDir(path_));
  if (!parsed.ok()) return parsed.status();
  if (absl::Status s = WriteFileAtomically(path_, text); !s.ok()) return s;
  if (absl::Status s = apply_(*parsed); !s.ok()) {
    // Keep the file and the running configuration in agreement.
    (void)WriteFileAtomically(path_, text_);
    return s;
  }
  config_ = *std::move(parsed);
  text_ = text;
  version_ = Fnv1a(text_);
  return Snapshot{config_, version_, path_};
}

absl::StatusOr<ConfigStore::Snapshot> ConfigStore::ApplyYaml(const std::string& yaml,
                                                             const std::string& expected_version) {
  absl::MutexLock lock(&mu_);
  return CommitLocked(yaml, expected_version);
}

absl::StatusOr<ConfigStore::Snapshot> ConfigStore::UpdateReceiver(
    const config::ReceiverConfig& receiver, const std::string& expected_version) {
  absl::MutexLock lock(&mu_);
  if (path_.empty()) return CommitLocked("", expected_version);  // FailedPrecondition
  YAML::Node doc;
  try {
    doc = YAML::Load(text_);
  } catch (const YAML::Exception& e) {
    return absl::FailedPreconditionError(
        absl::StrCat(path_, " no longer parses (", e.msg, "); fix it and send SIGHUP"));
  }
  bool found = false;
  if (doc.IsMap() && doc["receivers"] && doc["receivers"].IsSequence()) {
    YAML::Node list = doc["receivers"];
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (list[i]["name"] && list[i]["name"].Scalar() == receiver.name) {
        list[i] = ReceiverNode(receiver, config_.global);
        found = true;
        break;
      }
    }
  }
  if (!found) {
    return absl::NotFoundError(absl::StrCat("no receiver named \"", receiver.name, "\""));
  }
  return CommitLocked(Emit(doc), expected_version);
}

}  // namespace wecom_notify::admin
