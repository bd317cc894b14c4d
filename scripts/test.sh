#!/usr/bin/env bash
# Runs every check and test of the project: the one command CI runs too.
#   ./scripts/test.sh
# It installs what the tests need that cargo does not bring (the official
# Kingdee Python SDK, for the sandbox compatibility test).
set -euo pipefail
cd "$(dirname "$0")/.."

export INSTA_UPDATE=no          # a changed snapshot fails instead of being written
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

echo "== tools"
if ! python3 -c "import k3cloud_webapi_sdk" 2>/dev/null; then
    python3 -m pip install --quiet --disable-pip-version-check kingdee-cdp-webapi-sdk
fi

echo "== format"
cargo fmt --all --check

echo "== lint"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== tests"
cargo test --workspace --locked

echo "== all checks passed"
