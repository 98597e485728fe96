// File: tests/shim/in_process_notifyd.h
//
// A real notifyd (NotifyServer with durable state in a temporary directory) in the test's
// process, for the shim's clients to talk to.

#ifndef WECOM_NOTIFY_TESTS_SHIM_IN_PROCESS_NOTIFYD_H_
#define WECOM_NOTIFY_TESTS_SHIM_IN_PROCESS_NOTIFYD_H_

#include <memory>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/common/clock.h"
#include "libs/notify_server/notify_server.h"
#include "tests/testing/testing.h"

namespace wecom_notify::shim {

// notifyd's gRPC API on 127.0.0.1:`port` (0: a free one); null, with a test failure, when it
// cannot start.
inline std::unique_ptr<notify_server::NotifyServer> StartNotifyd(int port) {
  notify_server::NotifyServerOptions options;
  options.grpc_listen_address = absl::StrCat("127.0.0.1:", port);
  options.web_listen_address = "127.0.0.1:0";
  options.storage_path = wecom_notify::testing::MakeTempDir("shim-client");
  auto server = notify_server::NotifyServer::Start(options, Clock::Real());
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

}  // namespace wecom_notify::shim

#endif  // WECOM_NOTIFY_TESTS_SHIM_IN_PROCESS_NOTIFYD_H_
