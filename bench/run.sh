#!/usr/bin/env bash
# Benchmark (not a test: nothing asserts). Times whole envc processes with
# hyperfine, side by side with the plain tools doing the same job on the same
# tree, on two synthetic projects of N environments (default 1000):
#
#   tenth    every tenth environment is PROD with cross-region replication
#   quarter  every fourth one is (the PROD-heavy mix)
#
# For each: a cold build against `rm -rf` + `cp -r` of the tree, a no-op build,
# a build after one environment changed, and a no-op `envc diff` against GNU
# `diff -r` of two copies of the tree. Every command is run directly (no shell
# in between, hyperfine -N) after warm-up runs; the script prints the median and
# spread of each, ratios of medians, and the peak RSS of each envc command
# (measured once, outside the timed runs, with GNU time).
#
#   bench/run.sh [N]
#
# Environment:
#   BENCH_RUNS=20       timed runs per command (at least 10)
#   BENCH_WARMUP=3      untimed runs first
#   BENCH_MIXES="tenth quarter"
#   BENCH_TMPDIR=/dev/shm   where the projects go (default $TMPDIR or /tmp);
#                       tmpfs takes the disk out of the comparison
#   BENCH_ENVC=path     time this envc binary instead of building target/release/envc
#   BENCH_OUT=dir       where hyperfine's JSON goes (default target/bench/<date>)
#
# Needs: hyperfine (Debian/Ubuntu: `apt-get install hyperfine`, or `cargo install
# hyperfine`), GNU time at /usr/bin/time (`apt-get install time`), python3, GNU
# diffutils and coreutils. It installs nothing. Timings are only worth quoting on
# an otherwise idle machine: the script prints the load average before and after.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000}
RUNS=${BENCH_RUNS:-20}
WARMUP=${BENCH_WARMUP:-3}
MIXES=${BENCH_MIXES:-tenth quarter}

missing=()
command -v hyperfine >/dev/null || missing+=("hyperfine (apt-get install hyperfine, or cargo install hyperfine)")
[ -x /usr/bin/time ] || missing+=("GNU time at /usr/bin/time (apt-get install time)")
command -v python3 >/dev/null || missing+=("python3")
diff --version 2>/dev/null | grep -q GNU || missing+=("GNU diff (diffutils)")
if [ ${#missing[@]} -gt 0 ]; then
    echo "bench/run.sh needs:" >&2
    printf '  %s\n' "${missing[@]}" >&2
    exit 2
fi
if [ "$RUNS" -lt 10 ]; then
    echo "bench/run.sh: BENCH_RUNS must be at least 10" >&2
    exit 2
fi

if [ -n "${BENCH_ENVC:-}" ]; then
    ENVC=$(realpath "$BENCH_ENVC")
else
    echo "building target/release/envc (the first build takes minutes)..." >&2
    cargo build --release --quiet
    ENVC=$PWD/target/release/envc
fi
stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
out=$(realpath -m "${BENCH_OUT:-target/bench/$stamp}")
mkdir -p "$out"
work=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/envc-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

{
    echo "date:     $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "machine:  $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(free -g | awk '/^Mem:/ {print $2}') GiB"
    echo "kernel:   $(uname -sr)"
    echo "work dir: $work ($(stat -f -c %T "$work"))"
    if [ -n "${BENCH_ENVC:-}" ]; then
        echo "envc:     $ENVC ($("$ENVC" --version))"
    else
        echo "envc:     $ENVC (built from $(git describe --always --dirty 2>/dev/null || echo '?'))"
    fi
    echo "runs:     $RUNS timed after $WARMUP warm-up, per command"
    echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) before"
} | tee "$out/machine.txt"

# hyperfine NAME [hyperfine options and commands...]: one side-by-side group.
bench() {
    local name=$1
    shift
    hyperfine -N --style basic --warmup "$WARMUP" --runs "$RUNS" \
        --export-json "$out/$name.json" "$@" >"$out/$name.log" 2>&1 || {
        cat "$out/$name.log" >&2
        return 1
    }
}

# Peak RSS (KiB) of one run of a command, outside the timed runs.
rss() {
    /usr/bin/time -f '%M' -o "$work/rss" "$@" >/dev/null 2>&1
    tail -1 "$work/rss"
}

# make_project DIR MIX: envc.kdl, _base.kdl and N environment files.
make_project() {
    local p=$1 mix=$2 every
    case $mix in
    tenth) every=10 ;;
    quarter) every=4 ;;
    *)
        echo "unknown mix $mix" >&2
        exit 2
        ;;
    esac
    mkdir -p "$p/environments"
    cp envc.kdl "$p/"
    cp environments/_base.kdl "$p/environments/"
    EVERY=$every N=$N python3 - "$p/environments" <<'EOF'
import os, sys
regions = ["eu-west-1", "eu-west-2", "eu-central-1", "us-east-1", "us-west-2",
           "ap-southeast-2", "af-south-1"]
every, n = int(os.environ["EVERY"]), int(os.environ["N"])
for i in range(1, n + 1):
    r, f = regions[i % 7], regions[(i + 1) % 7]
    if i % every == 0:
        text = (f'extends "_base"\ntier "PROD"\nregion "{r}"\naccount-id "{i:012d}"\n'
                f'failover-region "{f}"\ncross-region-replication #true\n'
                f'flags {{\n    n {i}\n}}\nalert-emails "oncall@example.com"\n')
    else:
        text = (f'extends "_base"\ntier "DEV"\nregion "{r}"\naccount-id "{i:012d}"\n'
                f'flags {{\n    n {i}\n}}\n')
    with open(os.path.join(sys.argv[1], f"e{i}.kdl"), "w") as fh:
        fh.write(text)
EOF
}

# The example project (3 environments): process start-up and a small compile.
ex="$work/example"
mkdir -p "$ex"
cp -r envc.kdl environments "$ex/"
printf '#!/bin/sh\nrm -rf "%s/terraform"\n' "$ex" >"$work/prep-example"
echo "== example project (3 environments)" >&2
bench example --prepare "sh $work/prep-example" \
    --command-name "example cold build" "$ENVC -C $ex build"
bench example-noop --command-name "example no-op build" "$ENVC -C $ex build"

for mix in $MIXES; do
    p="$work/$mix"
    echo "== $mix: $N environments" >&2
    make_project "$p" "$mix"
    "$ENVC" -q -C "$p" build
    cp -r "$p/terraform" "$work/$mix-copy"
    files=$(find "$p/terraform" -type f | wc -l)
    bytes=$(find "$p/terraform" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
    echo "$files $bytes" >"$out/$mix-tree.txt"

    printf '#!/bin/sh\nrm -rf "%s/terraform"\nsync\n' "$p" >"$work/prep-cold-$mix"
    printf '#!/bin/sh\nrm -rf "%s/cp-target"\nsync\n' "$work" >"$work/prep-cp-$mix"
    bench "$mix-cold" \
        --prepare "sh $work/prep-cold-$mix" --command-name "cold build" "$ENVC -C $p build" \
        --prepare "sh $work/prep-cp-$mix" --command-name "rm -rf + cp -r" "cp -r $work/$mix-copy $work/cp-target"

    bench "$mix-noop-build" --command-name "no-op build" "$ENVC -C $p build"

    # Each run changes one value of one environment (e7's flag flips between two values).
    printf '#!/bin/sh\nf="%s/environments/e7.kdl"\nif grep -q "^    n 7$" "$f"; then sed -i "s/^    n 7$/    n 77/" "$f"; else sed -i "s/^    n 77$/    n 7/" "$f"; fi\n' "$p" >"$work/prep-one-$mix"
    bench "$mix-one-changed" --prepare "sh $work/prep-one-$mix" \
        --command-name "one environment changed" "$ENVC -C $p build"
    sed -i 's/^    n 77$/    n 7/' "$p/environments/e7.kdl"
    "$ENVC" -q -C "$p" build

    bench "$mix-noop-diff" \
        --command-name "no-op diff" "$ENVC -C $p diff" \
        --command-name "diff -r" "diff -r $p/terraform $work/$mix-copy"

    {
        printf 'cold build\t%s\n' "$(
            rm -rf "$p/terraform"
            rss "$ENVC" -C "$p" build
        )"
        printf 'no-op build\t%s\n' "$(rss "$ENVC" -C "$p" build)"
        sed -i 's/^    n 7$/    n 77/' "$p/environments/e7.kdl"
        printf 'one environment changed\t%s\n' "$(rss "$ENVC" -C "$p" build)"
        sed -i 's/^    n 77$/    n 7/' "$p/environments/e7.kdl"
        "$ENVC" -q -C "$p" build
        printf 'no-op diff\t%s\n' "$(rss "$ENVC" -C "$p" diff)"
    } >"$out/$mix-rss.tsv"
    rm -rf "$work/cp-target" "$work/$mix-copy"
done
echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) after" | tee -a "$out/machine.txt"

python3 - "$out" "$MIXES" <<'EOF'
import json, os, statistics, sys
out, mixes = sys.argv[1], sys.argv[2].split()

def load(name):
    with open(os.path.join(out, name + ".json")) as fh:
        return {r["command"]: r["times"] for r in json.load(fh)["results"]}

def q(times, p):
    s = sorted(times)
    k = (len(s) - 1) * p
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)

def cell(times):
    return (f"{statistics.median(times):7.3f} s  [{q(times, .25):.3f}–{q(times, .75):.3f}]"
            f"  {min(times):.3f}–{max(times):.3f}")

lines = ["", "median, [interquartile range], min–max of each command; ratios are of medians", ""]
ex = load("example")
ex.update(load("example-noop"))
lines.append("example project (3 environments)")
for name in ["example cold build", "example no-op build"]:
    lines.append(f"  {name:<28} {cell(ex[name])}")
for mix in mixes:
    files, size = open(os.path.join(out, mix + "-tree.txt")).read().split()
    rss = dict(l.rstrip("\n").split("\t") for l in open(os.path.join(out, mix + "-rss.tsv")))
    t = {}
    for g in ["cold", "noop-build", "one-changed", "noop-diff"]:
        t.update(load(f"{mix}-{g}"))
    label = {"tenth": "every tenth PROD", "quarter": "a quarter PROD"}.get(mix, mix)
    lines.append("")
    lines.append(f"{mix}: {label} with replication; {files} files, {int(size) / 1e6:.1f} MB")
    for name in ["cold build", "rm -rf + cp -r", "no-op build", "one environment changed",
                 "no-op diff", "diff -r"]:
        r = f"   peak RSS {int(rss[name]) / 1024:.0f} MiB" if name in rss else ""
        lines.append(f"  {name:<28} {cell(t[name])}{r}")
    m = {k: statistics.median(v) for k, v in t.items()}
    lines.append(f"  cold build / cp -r          {m['cold build'] / m['rm -rf + cp -r']:.2f}")
    lines.append(f"  no-op build / cold build    {m['no-op build'] / m['cold build']:.2f}")
    lines.append(f"  no-op build / diff -r       {m['no-op build'] / m['diff -r']:.2f}")
    lines.append(f"  no-op diff / diff -r        {m['no-op diff'] / m['diff -r']:.2f}   (goal: at most 1.00)")
text = "\n".join(lines) + "\n"
sys.stdout.write(text)
with open(os.path.join(out, "summary.txt"), "w") as fh:
    fh.write(text)
EOF
echo "hyperfine's JSON and this summary: $out" >&2
