#!/usr/bin/env bash
# Benchmark of `gyokaku build` on this machine:
#
# 1. the sample (91 items, two progress rounds): median wall time of RUNS
#    clean builds, peak memory, and each kind of file's size (KB per page);
# 2. rebuilds into the same folder: nothing changed, and one department's
#    R7 form resent with one grade changed;
# 3. generated sets at 910, 3,003 and 10,010 items (make_sample_inputs
#    --scale 10 / 33 / 110, with an R6 round): wall, peak memory and the
#    cost per item, once each (SCALES="10 33" to skip the largest).
#
# Stage by stage on one input folder: cargo bench --bench build [-- DIR].
#
#   scripts/bench.sh            # RUNS=7
#   RUNS=3 SCALES="10" scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-7}
SCALES=${SCALES:-"10 33 110"}
# The binary as the README's main command builds it (profile dist).
cargo build --profile dist --quiet --bin gyokaku
cargo build --release --quiet --example make_sample_inputs --example make_sample_progress
BIN=target/dist/gyokaku
WORK=target/bench-inputs
mkdir -p "$WORK"

make_set() { # scale
  local dir="$WORK/x$1"
  if [ ! -d "$dir/progress/R6" ]; then
    rm -rf "$dir"
    mkdir -p "$dir"
    cp inputs/plan.toml "$dir/"
    target/release/examples/make_sample_inputs --scale "$1" --out "$dir/submissions" >/dev/null
    target/release/examples/make_sample_progress --input "$dir" --year R6 --out "$dir/progress/R6" >/dev/null
  fi
  echo "$dir"
}

# Prints "seconds peak_kb" for one run of `gyokaku build ARGS...`.
timed() {
  { /usr/bin/time -f '%e %M' "$BIN" build "$@" -q >/dev/null; } 2>&1 | tail -n1
}

median() { sort -n | sed -n "$(( (RUNS + 1) / 2 ))p"; }

sizes() { # out_dir
  python3 - "$1" <<'PY'
import json, os, sys
out = sys.argv[1]
m = json.load(open(os.path.join(out, "manifest.json")))
kinds = {}
for f in m["files"]:
    k = kinds.setdefault(f["kind"], [0, 0, 0])
    k[0] += 1
    k[1] += os.path.getsize(os.path.join(out, f["path"]))
    k[2] += f.get("pages", 0)
for kind, (n, size, pages) in kinds.items():
    count = f"{n:>5} files" if n > 1 else "           "
    per_page = f"  {size / pages / 1e3:6.1f} KB/page ({pages} pages)" if pages else ""
    print(f"    {kind:<22}{count} {size / 1e6:8.2f} MB{per_page}")
PY
}

echo "== gyokaku build on the sample, $RUNS clean runs, $(nproc) cores"
out="$WORK/build-sample"
rm -rf "$out"
times=()
rss=0
for _ in $(seq "$RUNS"); do
  read -r t m < <(timed inputs -o "$out" --clean)
  times+=("$t")
  (( m > rss )) && rss=$m
done
printf '  median %ss (min %ss), peak %.0f MiB\n' "$(printf '%s\n' "${times[@]}" | median)" \
  "$(printf '%s\n' "${times[@]}" | sort -n | head -n1)" "$(awk "BEGIN { print $rss / 1024 }")"
sizes "$out"

echo "== rebuild into the same folder, $RUNS runs each"
copy="$WORK/sample-copy"
rm -rf "$copy"
cp -r inputs "$copy"
"$BIN" build "$copy" -o "$out" -q >/dev/null
times=()
for _ in $(seq "$RUNS"); do times+=("$(timed "$copy" -o "$out" | cut -d' ' -f1)"); done
printf '  nothing changed:              median %ss\n' "$(printf '%s\n' "${times[@]}" | median)"
# One department resends its R7 form with one grade changed, alternating
# between two versions so every run has a change to rebuild.
cargo run --release --quiet --example bench_resend -- "$copy" "$WORK/resend" >/dev/null
times=()
for k in $(seq "$RUNS"); do
  cp "$WORK/resend/$(( k % 2 ))/"*.xlsx "$copy/progress/R7/"
  times+=("$(timed "$copy" -o "$out" | cut -d' ' -f1)")
done
printf '  one department resent R7:     median %ss\n' "$(printf '%s\n' "${times[@]}" | median)"
times=()
for k in $(seq "$RUNS"); do
  cp "$WORK/resend/sub$(( k % 2 ))/"*.xlsx "$copy/submissions/"
  times+=("$(timed "$copy" -o "$out" | cut -d' ' -f1)")
done
printf '  one department resent its 素案: median %ss (its part of the booklet and the front matter)\n' "$(printf '%s\n' "${times[@]}" | median)"

echo "== generated sets, one clean build each"
printf '  %7s %8s %9s %12s\n' items wall "peak MiB" "ms per item"
for scale in $SCALES; do
  dir=$(make_set "$scale")
  items=$(( 91 * scale ))
  read -r t m < <(timed "$dir" -o "$WORK/build-x$scale" --clean)
  printf '  %7d %7ss %9.0f %12.1f\n' "$items" "$t" "$(awk "BEGIN { print $m / 1024 }")" "$(awk "BEGIN { print $t * 1000 / $items }")"
done
