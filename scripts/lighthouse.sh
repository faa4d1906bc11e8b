#!/usr/bin/env bash
# Lighthouse (performance, accessibility, best practices, SEO) on the home, search, package,
# version and OCI tag pages, in Debian's Chromium (never a downloaded browser), against a real
# `trove server` seeded with realistic content; prints the four scores per page and the
# audits that cost points, and fails when accessibility, best practices or SEO is under 95
# (TROVE_LIGHTHOUSE_MIN=0.95) or when performance on home, search, package or OCI tag is under
# 95 in the best of up to 3 runs (TROVE_LIGHTHOUSE_MIN_PERF=0.95, 0 = not gated). Reports
# (JSON) in target/lighthouse.
#
#   scripts/lighthouse.sh
#   TROVE_LIGHTHOUSE_MIN_PERF=0 scripts/lighthouse.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export TROVE_LIGHTHOUSE_REPORTS="${TROVE_LIGHTHOUSE_REPORTS:-$(pwd)/target/lighthouse}"
TROVE_BROWSER_SUITE=lighthouse exec scripts/browser-test.sh
