#!/usr/bin/env bash
# Runs every check and test of the project: the one command CI runs too.
#   ./scripts/test.sh
# It installs what the tests need that cargo does not bring (the official
# Kingdee Python SDK, for the sandbox compatibility test; Debian's chromium,
# for the browser test of `duijie serve`).
set -euo pipefail
cd "$(dirname "$0")/.."

export INSTA_UPDATE=no          # a changed snapshot fails instead of being written
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

echo "== tools"
if ! python3 -c "import k3cloud_webapi_sdk" 2>/dev/null; then
    python3 -m pip install --quiet --disable-pip-version-check kingdee-cdp-webapi-sdk
fi
# Headless Chromium (and a font with Chinese) for the browser test of `duijie serve`
# (tests/browser_overview.rs, which says it is skipped when none can be installed).
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; } \
        || echo "chromium could not be installed: the browser test is skipped"
fi

echo "== format"
cargo fmt --all --check

echo "== lint"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== tests"
cargo test --workspace --locked

echo "== all checks passed"
