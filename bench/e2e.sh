#!/usr/bin/env bash
# End to end: N 旺店通 purchase orders from the sandbox to 金蝶 through `duijie run`.
#
#   bench/e2e.sh N [--rate-limit R] [--page-size P] [--batch-size B] [--concurrency C]
#                  [--max-concurrency M]
#
# Starts the sandbox (release build of the `sandbox_counted` example: `duijie
# sandbox` plus its request counters) with N purchase orders, writes a
# configuration with `duijie init --sandbox URL` in a temporary directory,
# runs `duijie run wdt_purchase_to_kingdee` under `/usr/bin/time -v`, then
# stops the sandbox and reports orders/s, lines/s, HTTP requests, the peak
# resident memory of `duijie run` (and of the sandbox, apart), and the rate-
# limit answers the engine received and handled.
#
# --rate-limit R sets the sandbox's 旺店通 limit to R calls a minute and the
# engine's `rate_limit_per_minute` to R; the script then reports the 旺店通
# call rate the engine sustained against R. The other options set the
# scheme's page_size / batch_size / concurrency in duijie.toml (default: the
# starter file's, i.e. the engine's defaults).
#
# Targets (docs/performance.md): 100,000 orders in ≤ 30 s on 2 cores, sandbox
# included; peak memory of `duijie run` ≤ 150 MB at 100,000 and at 1,000,000;
# ≥ 90% of R sustained and no unhandled rate-limit answer.
#
# SKIP_BUILD=1 uses the binaries already in target/release (DUIJIE_BIN: another
# duijie binary, e.g. an older build to compare); KEEP=1 keeps the
# work directory (its path is printed); SANDBOX_ARGS adds flags of the
# sandbox (e.g. its 金蝶 load model: "--kingdee-call-ms 50 --kingdee-bill-ms 20
# --kingdee-capacity 6", as bench/adaptive.sh does). The last line printed,
# `result: {…}`, is the run's figures as JSON.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

N="${1:?usage: bench/e2e.sh N [--rate-limit R] [--page-size P] [--batch-size B] [--concurrency C]}"
shift
RATE=0 PAGE="" BATCH="" CONC="" MAXC=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --rate-limit) RATE="$2"; shift 2 ;;
        --page-size) PAGE="$2"; shift 2 ;;
        --batch-size) BATCH="$2"; shift 2 ;;
        --concurrency) CONC="$2"; shift 2 ;;
        --max-concurrency) MAXC="$2"; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
SCHEME=wdt_purchase_to_kingdee

[[ -x /usr/bin/time ]] || { echo "/usr/bin/time is missing: apt-get update && apt-get install -y time" >&2; exit 2; }
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    cargo build --release --quiet --bin duijie --example sandbox_counted
fi
DUIJIE="${DUIJIE_BIN:-$ROOT/target/release/duijie}"
SANDBOX="$ROOT/target/release/examples/sandbox_counted"

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

# Modified times over the 20 days before an anchor one hour ago (UTC+8), so
# that the first run (30 days back, 1 minute lag) reads every order.
ANCHOR=$(date -u -d "@$(($(date +%s) + 8 * 3600 - 3600))" '+%Y-%m-%d %H:%M:%S')
"$SANDBOX" --listen 127.0.0.1:0 --orders "$N" --stockins 0 --seed 7 --spread-days 20 \
    --anchor "$ANCHOR" --rate-limit-per-min "$RATE" ${SANDBOX_ARGS:-} >"$WORK/sandbox.out" 2>"$WORK/sandbox.err" &
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
# The engine's own limit for the 旺店通 account, and the scheme's settings.
if [[ "$RATE" != 0 ]]; then
    sed -i "0,/^rate_limit_per_minute = 0/s//rate_limit_per_minute = $RATE/" duijie.toml
fi
set_scheme() { # KEY VALUE: sets KEY in [schemes.$SCHEME]
    sed -i "/^\[schemes\.$SCHEME\]/a $1 = $2" duijie.toml
}
[[ -n "$PAGE" ]] && set_scheme page_size "$PAGE"
[[ -n "$BATCH" ]] && set_scheme batch_size "$BATCH"
[[ -n "$CONC" ]] && set_scheme concurrency "$CONC"
[[ -n "$MAXC" ]] && set_scheme max_concurrency "$MAXC"

T0=$(date +%s.%N)
set +e
/usr/bin/time -v -o "$WORK/time.txt" "$DUIJIE" -v run "$SCHEME" --format json >"$WORK/run.json" 2>"$WORK/run.err"
RUN_EXIT=$?
set -e
T1=$(date +%s.%N)
"$DUIJIE" status "$SCHEME" --format json >"$WORK/status.json" 2>/dev/null || true

kill -INT "$SANDBOX_PID"
wait "$SANDBOX_PID" || true
SANDBOX_PID=""
COUNTERS=$(sed -n 's/^counters: //p' "$WORK/sandbox.out")

WALL=$(echo "$T1 - $T0" | bc -l)
RSS_KB=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$WORK/time.txt")
CPU_USER=$(sed -n 's/.*User time (seconds): //p' "$WORK/time.txt")
CPU_SYS=$(sed -n 's/.*System time (seconds): //p' "$WORK/time.txt")
SOURCE_LIMITED=$(grep -c "source rate limit: pausing" "$WORK/run.err" || true)
TARGET_LIMITED=$(grep -c "target rate limit: pausing" "$WORK/run.err" || true)

python3 - "$N" "$RATE" "$WALL" "$RSS_KB" "$CPU_USER" "$CPU_SYS" "$RUN_EXIT" "$SOURCE_LIMITED" \
    "$TARGET_LIMITED" "$COUNTERS" "$WORK/run.json" <<'EOF'
import json, sys
n, rate, wall, rss_kb, user, sys_, code, src_lim, dst_lim, counters, run_json = sys.argv[1:]
n, rate, wall, rss_kb = int(n), int(rate), float(wall), int(rss_kb)
c = json.loads(counters) if counters else {}
reports = []
try:
    text = open(run_json, encoding="utf-8").read().strip()
    if text:
        data = json.loads(text)
        reports = data if isinstance(data, list) else [data]
except (OSError, ValueError):
    pass
counts = {}
for r in reports:
    for k, v in (r.get("counts") or {}).items():
        counts[k] = counts.get(k, 0) + v
outcome = ", ".join(str(r.get("outcome")) for r in reports) or "?"
req = c.get("requests", {})
wdt = req.get("wdt", 0)
total_req = wdt + req.get("qimen", 0) + req.get("kingdee", 0)
bills, lines = c.get("bills", 0), c.get("lines", 0)
print(f"e2e: {n} orders in the sandbox, `duijie run` exit {code}, outcome {outcome}")
print(f"  wall time            {wall:8.2f} s   (CPU of duijie run: {float(user):.2f} s user + {float(sys_):.2f} s sys)")
print(f"  orders/s             {n / wall:8.0f}   (orders read from the source)")
print(f"  bills written        {bills:8d}   ({bills / wall:.0f}/s; engine counts: {counts})")
print(f"  lines/s              {lines / wall:8.0f}   ({lines} entry lines stored in 金蝶)")
print(f"  HTTP requests        {total_req:8d}   (旺店通 {wdt}, 金蝶 {req.get('kingdee', 0)}, Qimen {req.get('qimen', 0)})")
print(f"  duplicates in 金蝶    {c.get('duplicates', 0):8d}")
print(f"  peak RSS duijie run  {rss_kb / 1024:8.1f} MB")
if c.get("cpu_user_ms") is not None:
    print(f"  CPU of the sandbox   {c['cpu_user_ms'] / 1000:8.2f} s user + {c['cpu_sys_ms'] / 1000:.2f} s sys")
if c.get("peak_rss_kb"):
    print(f"  peak RSS sandbox     {c['peak_rss_kb'] / 1024:8.1f} MB   (holds every stored bill in memory)")
if rate:
    per_min = wdt / wall * 60
    print(f"  旺店通 call rate      {per_min:8.1f} /min against a limit of {rate}/min: {per_min / rate * 100:.0f}%")
print(f"  rate-limit answers   source {src_lim}, target {dst_lim} (each paused and retried by the engine)")
conc = [r.get("concurrency") for r in reports if r.get("concurrency")]
for cc in conc:
    kind = "adaptive" if cc.get("adaptive") else "fixed"
    w, rd = cc.get("write", {}), cc.get("read", {})
    print(f"  concurrency          {kind}: saves settled at {w.get('limit')} (highest {w.get('peak')}, {w.get('overloads')} overload answers), "
          f"pages at {rd.get('limit')} (highest {rd.get('peak')})")
if req.get("kingdee_refused"):
    print(f"  refused for load     {req['kingdee_refused']:8d}   (金蝶 calls past twice the sandbox's capacity)")
if int(code) != 0:
    print("  the run did not succeed: see run.err in the work directory (KEEP=1)")
print("result: " + json.dumps({
    "orders": n, "wall": wall, "bills": bills, "bills_per_s": bills / wall, "exit": int(code),
    "outcome": outcome, "failed": counts.get("failed", 0), "duplicates": c.get("duplicates", 0),
    "user": float(user), "sys": float(sys_), "rss_kb": rss_kb, "target_limited": int(dst_lim),
    "kingdee_refused": req.get("kingdee_refused", 0), "kingdee_requests": req.get("kingdee", 0),
    "concurrency": conc[0] if conc else None,
}))
EOF
