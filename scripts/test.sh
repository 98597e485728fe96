#!/usr/bin/env bash
# README command 2: install the Debian packages, build, and run every test twice — once in a
# warnings-as-errors build, once under AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

jobs=$(nproc)
run_suite() {
  local dir=$1; shift
  cmake -S . -B "$dir" -G Ninja "$@"
  cmake --build "$dir" -j"$jobs"
  (cd "$dir" && ctest --output-on-failure -j"$jobs" --timeout 300)
}

echo "== build and test (RelWithDebInfo, -Wall -Wextra -Werror) =="
run_suite build/test -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWECOM_NOTIFY_WERROR=ON

echo "== build and test under ASan + UBSan =="
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
run_suite build/asan -DCMAKE_BUILD_TYPE=Debug -DWECOM_NOTIFY_SANITIZE=ON -DWECOM_NOTIFY_WERROR=ON

echo "== all tests passed =="
