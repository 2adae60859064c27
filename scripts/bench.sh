#!/usr/bin/env bash
# Benchmark of `gyokaku validate` on the sample inputs (91 items) and on
# generated sets 10x and 100x larger (910 and 9,100 items), then of
# `gyokaku build` (validate + every PDF and workbook) on the sample and 10x.
# Prints wall time (median of RUNS), peak memory (max RSS) and, for build,
# the booklet's pages and size. Stage by stage: cargo bench --bench build.
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

measure() { # label input_dir command
  local times=() rss=0
  for _ in $(seq "$RUNS"); do
    local out
    # validate exits 1 when it finds errors, which the sets have
    if [ "$3" = validate ]; then
      out=$( { /usr/bin/time -f '%e %M' "$BIN" validate "$2" --report "$WORK/report" -q >/dev/null || true; } 2>&1 | tail -n1 )
    else
      out=$( { /usr/bin/time -f '%e %M' "$BIN" build "$2" -o "$WORK/build-$1" -q >/dev/null; } 2>&1 | tail -n1 )
    fi
    times+=("${out% *}")
    local m=${out#* }
    if (( m > rss )); then rss=$m; fi
  done
  local median
  median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")
  local items
  items=$(find "$2/submissions" -name '*.xlsx' | wc -l)
  printf '%-8s %5s workbooks  median %6ss  peak %7.1f MiB\n' "$1" "$items" "$median" "$(awk "BEGIN { print $rss / 1024 }")"
  if [ "$3" = build ]; then
    python3 - "$WORK/build-$1/manifest.json" "$WORK/build-$1" <<'PY'
import json, os, sys
m = json.load(open(sys.argv[1]))
kinds = {}
for f in m["files"]:
    k = kinds.setdefault(f["kind"], [0, 0, 0])
    k[0] += 1
    k[1] += os.path.getsize(os.path.join(sys.argv[2], f["path"]))
    k[2] += f.get("pages", 0)
for kind, (n, size, pages) in kinds.items():
    count = f"{n} files, " if n > 1 else ""
    pages = f" {pages} pages" if pages else ""
    print(f"           {kind:<20} {count}{size / 1e6:7.2f} MB{pages}")
PY
  fi
}

echo "gyokaku validate, $RUNS runs each, $(nproc) cores"
measure "sample" inputs validate
measure "x10" "$(make_set 10)" validate
measure "x100" "$(make_set 100)" validate
echo "gyokaku build, $RUNS runs each"
measure "sample" inputs build
measure "x10" "$(make_set 10)" build
