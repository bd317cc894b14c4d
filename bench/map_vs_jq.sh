#!/usr/bin/env bash
# `duijie map` (compiled and --interpret) against jq on the same file.
#
#   bench/map_vs_jq.sh [N] [RUNS]      (default 20000 orders, best of 3 runs)
#
# Generates N 旺店通 purchase orders (the sandbox's, bench/data_set.rs) as JSON
# Lines, maps them with `duijie map wdt_purchase_to_kingdee` (release build),
# with `duijie map --interpret`, and with `jq -c -f bench/purchase.jq`; checks
# that the compiled and interpreted outputs are identical byte for byte and
# that jq's agrees with them (bench/compare_json.py: numbers compared as
# decimals); prints wall times, throughput and ratios. Targets
# (docs/performance.md): compiled ≥ 20× jq, interpreter ≥ 3× jq.
#
# SKIP_BUILD=1 uses the binaries already in target/release.
set -euo pipefail
cd "$(dirname "$0")/.."

N="${1:-20000}"
RUNS="${2:-3}"
SCHEME=wdt_purchase_to_kingdee

if ! command -v jq >/dev/null; then
    echo "jq is missing: apt-get update && apt-get install -y jq" >&2
    exit 2
fi
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    cargo build --release --quiet --bin duijie --example gen_orders
fi
DUIJIE=target/release/duijie
GEN=target/release/examples/gen_orders

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
"$GEN" "$N" >"$WORK/orders.jsonl"
BYTES=$(stat -c %s "$WORK/orders.jsonl")

# best_of NAME OUTPUT COMMAND...: runs COMMAND RUNS times (stdin the orders,
# stdout OUTPUT), prints each time, sets BEST (seconds) to the fastest.
best_of() {
    local name=$1 out=$2
    shift 2
    BEST=""
    local times=()
    for _ in $(seq "$RUNS"); do
        local t0 t1 s
        t0=$(date +%s.%N)
        "$@" <"$WORK/orders.jsonl" >"$out" 2>"$WORK/stderr" || {
            echo "$name failed:" >&2
            cat "$WORK/stderr" >&2
            exit 1
        }
        t1=$(date +%s.%N)
        s=$(echo "$t1 - $t0" | bc -l)
        times+=("$(printf %.3f "$s")")
        if [[ -z "$BEST" ]] || (($(echo "$s < $BEST" | bc -l))); then BEST=$s; fi
    done
    printf '%-22s %8.3f s  %10.0f orders/s  %7.1f MB/s   (runs: %s)\n' "$name" "$BEST" \
        "$(echo "$N / $BEST" | bc -l)" "$(echo "$BYTES / $BEST / 1000000" | bc -l)" "${times[*]}"
}

command -v bc >/dev/null || { echo "bc is missing: apt-get install -y bc" >&2; exit 2; }

echo "map_vs_jq: $N orders, $((BYTES / 1000000)) MB, best of $RUNS runs; $(nproc) CPUs, $(jq --version)"
best_of "duijie map" "$WORK/compiled.jsonl" "$DUIJIE" map "$SCHEME"
T_COMPILED=$BEST
best_of "duijie map --interpret" "$WORK/interpreted.jsonl" "$DUIJIE" map "$SCHEME" --interpret
T_INTERP=$BEST
best_of "jq" "$WORK/jq.jsonl" jq -c -f bench/purchase.jq
T_JQ=$BEST

echo
if cmp -s "$WORK/compiled.jsonl" "$WORK/interpreted.jsonl"; then
    echo "compiled = interpreted, byte for byte ($(wc -l <"$WORK/compiled.jsonl") bills)"
else
    echo "MISMATCH: compiled and interpreted outputs differ" >&2
    exit 1
fi
printf 'compiled vs jq: '
python3 bench/compare_json.py "$WORK/compiled.jsonl" "$WORK/jq.jsonl"

echo
printf 'duijie map vs jq:             %6.1f×  (target ≥ 20×)\n' "$(echo "$T_JQ / $T_COMPILED" | bc -l)"
printf 'duijie map --interpret vs jq: %6.1f×  (target ≥ 3×)\n' "$(echo "$T_JQ / $T_INTERP" | bc -l)"
