// File: libs/admin/ctl.h
//
// notifyctl: a command-line client of notifyd's Admin and Notify gRPC services. The binary
// (services/notifyctl) only calls RunNotifyctl. Exit codes: 0 done; 1 notifyd answered with an
// error, or WeCom / the routing said no (a test that did not deliver); 2 usage error.

#ifndef WECOM_NOTIFY_LIBS_ADMIN_CTL_H_
#define WECOM_NOTIFY_LIBS_ADMIN_CTL_H_

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "wecom_notify/v1/admin.pb.h"

namespace wecom_notify::admin {

int RunNotifyctl(int argc, char** argv, std::ostream& out, std::ostream& err);

// Adds (or removes) `ids` of `kind` ("user", "department" / "party", "tag") to the recipients of
// receiver.wecom_configs[index]. Errors: InvalidArgument for an unknown kind or index, NotFound
// when removing an ID that is not there.
absl::Status EditRecipients(v1::Receiver& receiver, const std::string& kind,
                            const std::vector<std::string>& ids, bool add, int index);

// Human-readable renderings (the -o text output).
std::string FormatTestMessage(const v1::SendTestMessageResponse& response);
std::string FormatTestRoute(const v1::TestRouteResponse& response);
std::string FormatReceiver(const v1::Receiver& receiver);

}  // namespace wecom_notify::admin

#endif  // WECOM_NOTIFY_LIBS_ADMIN_CTL_H_
