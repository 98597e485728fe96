// notifyctl: command-line client of notifyd's Admin API (wecom_notify.v1.Admin). Wiring only;
// the commands live in libs/admin/ctl.cc.

#include <iostream>

#include "libs/admin/ctl.h"

int main(int argc, char** argv) {
  return wecom_notify::admin::RunNotifyctl(argc, argv, std::cout, std::cerr);
}
