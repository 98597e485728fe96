// File: tests/shim/notify_client_test.cc
//
// NotifyClient against a real notifyd: where its callbacks run.

#include "libs/shim/notify_client.h"

#include <pthread.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "libs/notify_wire/notify_wire.h"
#include "tests/shim/in_process_notifyd.h"

namespace wecom_notify::shim {
namespace {

std::string ThisThreadsName() {
  char name[16] = {};
  pthread_getname_np(pthread_self(), name, sizeof(name));
  return name;
}

TEST(NotifyClientTest, ListingsAreAnsweredOffTheCompletionThreadOthersOnIt) {
  auto notifyd = StartNotifyd(0);
  ASSERT_NE(notifyd, nullptr);
  NotifyClient client(absl::StrCat("127.0.0.1:", notifyd->grpc_port()), absl::Seconds(10));

  notify_wire::AlertEncoder alert;
  alert.AddLabel("alertname", "Listed");
  notify_wire::EncodedNotifyRequest request(wecom_notify::v1::ALERT_SOURCE_API);
  request.AddAlert(alert);
  absl::Notification notified;
  std::string notify_thread;
  client.Notify(std::move(request),
                [&](const grpc::Status& status, const wecom_notify::v1::NotifyResponse&) {
                  EXPECT_TRUE(status.ok()) << status.error_message();
                  notify_thread = ThisThreadsName();
                  notified.Notify();
                });
  ASSERT_TRUE(notified.WaitForNotificationWithTimeout(absl::Seconds(20)));

  absl::Notification listed;
  std::string list_thread;
  client.ListAlerts(
      wecom_notify::v1::ListAlertsRequest(),
      [&](const grpc::Status& status, const wecom_notify::v1::ListAlertsResponse& response) {
        EXPECT_TRUE(status.ok()) << status.error_message();
        ASSERT_EQ(response.alerts_size(), 1);
        EXPECT_EQ(response.alerts(0).labels().at("alertname"), "Listed");
        list_thread = ThisThreadsName();
        listed.Notify();
      });
  ASSERT_TRUE(listed.WaitForNotificationWithTimeout(absl::Seconds(20)));

  EXPECT_EQ(notify_thread, "notify-client");
  EXPECT_NE(list_thread, "notify-client");
}

TEST(NotifyClientTest, AListingThatFailsSaysWhy) {
  const int port = wecom_notify::testing::FreePort();  // nothing listens
  NotifyClient client(absl::StrCat("127.0.0.1:", port), absl::Milliseconds(300));
  absl::Notification listed;
  client.ListAlerts(wecom_notify::v1::ListAlertsRequest(),
                    [&](const grpc::Status& status, const wecom_notify::v1::ListAlertsResponse&) {
                      EXPECT_TRUE(status.error_code() == grpc::StatusCode::UNAVAILABLE ||
                                  status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED)
                          << status.error_code();
                      listed.Notify();
                    });
  ASSERT_TRUE(listed.WaitForNotificationWithTimeout(absl::Seconds(20)));
}

}  // namespace
}  // namespace wecom_notify::shim
