#!/usr/bin/env bash
# Adaptive write concurrency against a loaded 金蝶 with a hidden capacity.
#
#   bench/adaptive.sh [N] [CAPACITY ...]        (default: 1500 orders; capacities 6 and 1)
#
# For each capacity, the sandbox models a tenant (its load model): every 金蝶
# call takes CALL_MS (default 50 ms) plus BILL_MS (default 20 ms) a saved
# bill; past CAPACITY calls at once answers slow down in proportion, past
# twice it calls are refused with the concurrency answer (MsgCode 14). Then,
# in turn, ROUNDS times (default 2):
#
# - sdk:      bench/sdk_sequential.py, the official Python SDK saving the same
#             bills (`duijie map` of the data set) in batches of 20, one call
#             after another: the yardstick;
# - fixed-2:  `duijie run` with `concurrency = 2` (the fixed default before);
# - adaptive: `duijie run` with the starter settings (no concurrency: the
#             limit finds itself, up to max_concurrency);
# - fixed-8:  `duijie run` with `concurrency = 8` (only with FIXED8=1).
#
# Each duijie run is bench/e2e.sh N with those settings (a new sandbox, a new
# state store). Printed: bills/s of every run, the median of each, its ratio
# to sdk's median, failed bills, duplicates, overload answers handled, calls
# refused by the sandbox, and where the adaptive limit settled.
#
# Targets (issue 16): with capacity 6, adaptive ≥ 3 × sdk, no failed bill,
# few overload answers; with capacity 1, adaptive not slower than fixed-2.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
N="${1:-1500}"
shift || true
CAPS=("$@")
[[ ${#CAPS[@]} -gt 0 ]] || CAPS=(6 1)
CALL_MS="${CALL_MS:-50}" BILL_MS="${BILL_MS:-20}" ROUNDS="${ROUNDS:-2}"

python3 -c "import k3cloud_webapi_sdk" 2>/dev/null \
    || { echo "the official Kingdee SDK is missing: pip install kingdee-cdp-webapi-sdk" >&2; exit 2; }
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    cargo build --release --quiet --bin duijie --example sandbox_counted --example gen_orders
fi
DUIJIE="$ROOT/target/release/duijie"
SANDBOX="$ROOT/target/release/examples/sandbox_counted"
WORK="$(mktemp -d)"
SANDBOX_PID=""
cleanup() {
    if [[ -n "$SANDBOX_PID" ]] && kill -0 "$SANDBOX_PID" 2>/dev/null; then
        kill "$SANDBOX_PID" 2>/dev/null || true
        wait "$SANDBOX_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# The sdk script's bills: the data set's orders mapped by duijie.
"$ROOT/target/release/examples/gen_orders" "$N" 7 >"$WORK/orders.jsonl"
"$DUIJIE" map wdt_purchase_to_kingdee <"$WORK/orders.jsonl" >"$WORK/bills.jsonl"

sdk_run() { # CAPACITY -> prints a result line
    "$SANDBOX" --listen 127.0.0.1:0 --orders 0 --stockins 0 --kingdee-call-ms "$CALL_MS" \
        --kingdee-bill-ms "$BILL_MS" --kingdee-capacity "$1" >"$WORK/sandbox.out" 2>"$WORK/sandbox.err" &
    SANDBOX_PID=$!
    local url=""
    for _ in $(seq 600); do
        url=$(sed -n 's/^duijie sandbox listening on \(http[^ ]*\).*/\1/p' "$WORK/sandbox.out" | head -1)
        [[ -n "$url" ]] && break
        sleep 0.1
    done
    [[ -n "$url" ]] || { echo "the sandbox did not start" >&2; exit 1; }
    local out
    out=$(python3 bench/sdk_sequential.py "$url" "$WORK/bills.jsonl" 20)
    kill -INT "$SANDBOX_PID"; wait "$SANDBOX_PID" || true; SANDBOX_PID=""
    local counters
    counters=$(sed -n 's/^counters: //p' "$WORK/sandbox.out")
    python3 - "$out" "$counters" <<'PY'
import json, sys
r, c = json.loads(sys.argv[1]), json.loads(sys.argv[2] or "{}")
print("result: " + json.dumps({"bills": r["saved"], "failed": r["refused"], "wall": r["wall"],
      "bills_per_s": r["saved"] / r["wall"], "duplicates": c.get("duplicates", 0),
      "target_limited": r["overloads"], "kingdee_refused": c.get("requests", {}).get("kingdee_refused", 0),
      "concurrency": None}))
PY
}

duijie_run() { # CAPACITY [e2e options] -> prints e2e.sh's result line
    local cap="$1"; shift
    SKIP_BUILD=1 SANDBOX_ARGS="--kingdee-call-ms $CALL_MS --kingdee-bill-ms $BILL_MS --kingdee-capacity $cap" \
        bench/e2e.sh "$N" "$@" | grep '^result: '
}

KINDS=(sdk fixed-2 adaptive)
[[ "${FIXED8:-0}" == 1 ]] && KINDS+=(fixed-8)
for cap in "${CAPS[@]}"; do
    : >"$WORK/results-$cap"
    for round in $(seq "$ROUNDS"); do
        for kind in "${KINDS[@]}"; do
            case "$kind" in
                sdk) line=$(sdk_run "$cap") ;;
                fixed-2) line=$(duijie_run "$cap" --concurrency 2) ;;
                fixed-8) line=$(duijie_run "$cap" --concurrency 8) ;;
                adaptive) line=$(duijie_run "$cap") ;;
            esac
            echo "$kind ${line#result: }" >>"$WORK/results-$cap"
            echo "capacity $cap, round $round, $kind: ${line#result: }" >&2
        done
    done
    python3 - "$cap" "$N" "$CALL_MS" "$BILL_MS" "$WORK/results-$cap" <<'PY'
import json, statistics, sys
cap, n, call_ms, bill_ms, path = sys.argv[1:]
runs = {}
for line in open(path, encoding="utf-8"):
    kind, _, rest = line.partition(" ")
    runs.setdefault(kind, []).append(json.loads(rest))
base = statistics.median(r["bills_per_s"] for r in runs["sdk"])
print(f"capacity {cap} ({n} orders; {call_ms} ms a call, {bill_ms} ms a bill; batches of 20):")
print(f"  {'':9} {'bills/s (each run)':<24} {'median':>7} {'÷ sdk':>6}  failed  dupl.  overload answers  refused  settled (highest)")
for kind, rs in runs.items():
    med = statistics.median(r["bills_per_s"] for r in rs)
    each = ", ".join(f"{r['bills_per_s']:.1f}" for r in rs)
    settled = ", ".join(
        f"{r['concurrency']['write']['limit']} ({r['concurrency']['write']['peak']})"
        for r in rs if r.get("concurrency")) or "-"
    print(f"  {kind:9} {each:<24} {med:7.1f} {med / base:6.2f}  {sum(r['failed'] for r in rs):6}  "
          f"{sum(r['duplicates'] for r in rs):5}  {sum(r['target_limited'] for r in rs):16}  "
          f"{sum(r['kingdee_refused'] for r in rs):7}  {settled}")
PY
done
