#!/usr/bin/env bash
# Lookups of master data against a 金蝶 with many materials.
#
#   bench/lookups.sh [MATERIALS]        (default 1000000)
#
# Starts `duijie sandbox --extra-materials MATERIALS` (the built-in base data
# plus MATERIALS generated materials, each a row of BD_MATERIAL), writes a
# configuration with `duijie init --sandbox URL` in a temporary directory, then
# times, with /usr/bin/time -v:
#
# - full:        `duijie lookups refresh --full` of the purchase stock-in
#                scheme's caches (BD_MATERIAL and BD_Supplier by FNumber): every
#                row read page by page (2,000 a call) into the state store;
# - incremental: the same without --full: one query of the rows changed since;
# - run:         `duijie run wdt_stockin_purchase_to_kingdee`, whose receipts
#                look each line's material up in the cache of MATERIALS rows.
#
# Printed: wall time, user+system CPU and peak resident memory of each, the rows
# cached and the state store's size. The target (issue 12): memory stays
# bounded with 1,000,000 materials: the cache is on disk, not in memory.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
N="${1:-1000000}"
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    cargo build --release --quiet --bin duijie
fi
DUIJIE="${DUIJIE_BIN:-$ROOT/target/release/duijie}"
WORK="$(mktemp -d)"
SANDBOX_PID=""
cleanup() {
    if [[ -n "$SANDBOX_PID" ]] && kill -0 "$SANDBOX_PID" 2>/dev/null; then
        kill "$SANDBOX_PID" 2>/dev/null || true
        wait "$SANDBOX_PID" 2>/dev/null || true
    fi
    if [[ "${KEEP:-0}" == 1 ]]; then echo "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

ANCHOR=$(date -u -d "@$(($(date +%s) + 8 * 3600 - 3600))" '+%Y-%m-%d %H:%M:%S')
"$DUIJIE" sandbox --listen 127.0.0.1:0 --orders 40 --stockins 400 --seed 7 --spread-days 20 \
    --anchor "$ANCHOR" --extra-materials "$N" >"$WORK/sandbox.out" 2>"$WORK/sandbox.err" &
SANDBOX_PID=$!
URL=""
for _ in $(seq 600); do
    URL=$(sed -n 's/^duijie sandbox listening on \(http[^ ]*\).*/\1/p' "$WORK/sandbox.out" | head -1)
    [[ -n "$URL" ]] && break
    kill -0 "$SANDBOX_PID" 2>/dev/null || { cat "$WORK/sandbox.err" >&2; exit 1; }
    sleep 0.1
done
[[ -n "$URL" ]] || { echo "the sandbox did not start" >&2; exit 1; }

cd "$WORK"
"$DUIJIE" init --sandbox "$URL" >/dev/null
SCHEME=wdt_stockin_purchase_to_kingdee
"$DUIJIE" run wdt_purchase_to_kingdee >/dev/null 2>&1 || true

measure() { # NAME COMMAND...
    local name=$1
    shift
    local t0 t1
    t0=$(date +%s.%N)
    /usr/bin/time -v -o "$WORK/$name.time" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || {
        echo "$name failed:" >&2
        cat "$WORK/$name.out" "$WORK/$name.err" >&2
        exit 1
    }
    t1=$(date +%s.%N)
    local user sys rss
    user=$(sed -n 's/^\s*User time (seconds): //p' "$WORK/$name.time")
    sys=$(sed -n 's/^\s*System time (seconds): //p' "$WORK/$name.time")
    rss=$(sed -n 's/^\s*Maximum resident set size (kbytes): //p' "$WORK/$name.time")
    printf '%-12s wall %6.2f s   cpu %6.2f s   peak RSS %7.1f MB\n' "$name" \
        "$(echo "$t1 - $t0" | bc -l)" "$(echo "$user + $sys" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
}

echo "materials: $N extra (plus the built-in ones)"
measure full "$DUIJIE" lookups refresh "$SCHEME" --full
sed 's/^/  /' "$WORK/full.out"
measure incremental "$DUIJIE" lookups refresh "$SCHEME"
sed 's/^/  /' "$WORK/incremental.out"
measure run "$DUIJIE" run "$SCHEME"
sed 's/^/  /' "$WORK/run.out"
printf 'state store  %.1f MB\n' "$(echo "$(stat -c %s .duijie/state.db) / 1048576" | bc -l)"
