#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_fuzz_smoke.sh - `make check`'s bounded fuzzing pass: tests/fuzz/run.sh for
# 60 s (LEAK_FUZZ_SECONDS to change it) on the trace reader, the analyses and both reports,
# under ASan and UBSan. A crash, leak, UB report or slow input fails the test; the input is
# saved under $BUILD/fuzz/crashes/. `make fuzz` runs the same for longer.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
export BUILD
exec tests/fuzz/run.sh "${LEAK_FUZZ_SECONDS:-60}"
