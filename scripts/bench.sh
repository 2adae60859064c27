#!/usr/bin/env bash
# Benchmark of `gyokaku validate` on the sample inputs (91 items) and on
# generated sets 10x and 100x larger (910 and 9,100 items).
# Prints wall time (median of RUNS) and peak memory (max RSS) per set.
#
#   scripts/bench.sh            # RUNS=5
#   RUNS=3 scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
cargo build --release --quiet --bin gyokaku --example make_sample_inputs
BIN=target/release/gyokaku
WORK=target/bench-inputs

make_set() { # scale
  local dir="$WORK/x$1"
  if [ ! -d "$dir/submissions" ]; then
    mkdir -p "$dir"
    cp inputs/plan.toml "$dir/"
    target/release/examples/make_sample_inputs --scale "$1" --out "$dir/submissions" >/dev/null
  fi
  echo "$dir"
}

measure() { # label input_dir
  local times=() rss=0
  for _ in $(seq "$RUNS"); do
    local out
    # validate exits 1 when it finds errors, which the sets have
    out=$( { /usr/bin/time -f '%e %M' "$BIN" validate "$2" --report "$WORK/report" -q >/dev/null || true; } 2>&1 | tail -n1 )
    times+=("${out% *}")
    local m=${out#* }
    if (( m > rss )); then rss=$m; fi
  done
  local median
  median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")
  local items
  items=$(find "$2/submissions" -name '*.xlsx' | wc -l)
  printf '%-8s %5s workbooks  median %6ss  peak %7.1f MiB\n' "$1" "$items" "$median" "$(awk "BEGIN { print $rss / 1024 }")"
}

echo "gyokaku validate, $RUNS runs each, $(nproc) cores"
measure "sample" inputs
measure "x10" "$(make_set 10)"
measure "x100" "$(make_set 100)"
