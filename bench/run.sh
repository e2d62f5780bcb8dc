#!/usr/bin/env bash
# Benchmark (not a test): envc on the example project and on a synthetic
# project of N environments (default 1000), side by side with cp -r and
# diff -r of the same output, in one run. Prints a table; nothing asserts.
#   bench/run.sh [N]        (BENCH_TMPDIR=/dev/shm to take the disk out of the comparison)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000}
cargo build --release --quiet
ENVC=$PWD/target/release/envc
work=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/envc-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Wall-clock seconds of a command (best of 3) and its peak RSS (KiB) of the last run.
measure() {
    local best=999999 rss=0
    for _ in 1 2 3; do
        [ -n "${PREP:-}" ] && eval "$PREP"
        local t0=$(date +%s.%N)
        if [ -x /usr/bin/time ]; then
            /usr/bin/time -f '%M' -o "$work/rss" "$@" >/dev/null 2>&1 || true
            rss=$(tail -1 "$work/rss")
        else
            "$@" >/dev/null 2>&1 || true
        fi
        local t1=$(date +%s.%N)
        best=$(echo "$t1 - $t0" | bc -l | awk -v b="$best" '{print ($1 < b) ? $1 : b}')
    done
    printf '%s %s\n' "$best" "$rss"
}

row() { printf '%-40s %10.3f s %10s KiB\n' "$1" "$2" "$3"; }

echo "== example project (3 environments)"
cp -r envc.kdl environments "$work/" && mkdir -p "$work/example" && mv "$work/envc.kdl" "$work/environments" "$work/example/"
read -r t r < <(PREP="rm -rf $work/example/terraform" measure "$ENVC" -C "$work/example" build)
row "cold build" "$t" "$r"
read -r t r < <(measure "$ENVC" -C "$work/example" build)
row "no-op build" "$t" "$r"

echo "== synthetic project ($N environments)"
p="$work/synth"
mkdir -p "$p/environments"
cp envc.kdl "$p/"
cp environments/_base.kdl "$p/environments/"
regions=(eu-west-1 eu-west-2 eu-central-1 us-east-1 us-west-2 ap-southeast-2 af-south-1)
for i in $(seq 1 "$N"); do
    r=${regions[$((i % 7))]}
    f=${regions[$(((i + 1) % 7))]}
    acct=$(printf '%012d' "$i")
    if (( i % 10 == 0 )); then
        printf 'extends "_base"\ntier "PROD"\nregion "%s"\naccount-id "%s"\nfailover-region "%s"\ncross-region-replication #true\nflags {\n    n %d\n}\nalert-emails "oncall@example.com"\n' "$r" "$acct" "$f" "$i" > "$p/environments/e$i.kdl"
    else
        printf 'extends "_base"\ntier "DEV"\nregion "%s"\naccount-id "%s"\nflags {\n    n %d\n}\n' "$r" "$acct" "$i" > "$p/environments/e$i.kdl"
    fi
done
read -r cold rss_cold < <(PREP="rm -rf $p/terraform; sync" measure "$ENVC" -C "$p" build)
row "cold build" "$cold" "$rss_cold"
files=$(find "$p/terraform" -type f | wc -l)
bytes=$(du -sb "$p/terraform" | cut -f1)
read -r noop rss_noop < <(measure "$ENVC" -C "$p" build)
row "no-op build" "$noop" "$rss_noop"
read -r one rss_one < <(PREP="sed -i 's/^    n [0-9]*/    n $RANDOM/' $p/environments/e7.kdl" measure "$ENVC" -C "$p" build)
row "one environment changed" "$one" "$rss_one"
read -r dnoop rss_diff < <(measure "$ENVC" -C "$p" diff --format stat)
row "no-op diff" "$dnoop" "$rss_diff"
read -r cpr _ < <(PREP="rm -rf $work/copy; sync" measure cp -r "$p/terraform" "$work/copy")
row "cp -r of the output" "$cpr" "-"
cp -r "$p/terraform" "$work/copy2" 2>/dev/null || true
read -r diffr _ < <(measure diff -r "$p/terraform" "$work/copy2")
row "diff -r of two copies" "$diffr" "-"
echo "output: $files files, $bytes bytes"
awk -v c="$cold" -v n="$noop" -v cp="$cpr" -v d="$dnoop" -v dr="$diffr" 'BEGIN {
    printf "ratios: cold/cp-r = %.2f   no-op/cold = %.2f   no-op-diff/diff-r = %.2f\n", c/cp, n/c, d/dr }'
