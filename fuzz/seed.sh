#!/usr/bin/env bash
# Seeds every fuzz target's corpus from the sample (and, when
# GYOKAKU_CORPUS_DIR holds the hostile cases, from them): each input is
# prefixed with the byte the target reads to pick the format, the place
# or the part. Run from fuzz/: ./seed.sh
set -euo pipefail
cd "$(dirname "$0")"
root=..
prefixed() { # BYTE FILE OUT
    { printf "\\x$1"; cat "$2"; } > "$3"
}
mkdir -p corpus/workbook corpus/per_file corpus/returns corpus/plan_toml
for f in "$root"/inputs/submissions/*.xlsx; do
    name=$(basename "$f")
    prefixed 00 "$f" "corpus/workbook/$name"
    prefixed 00 "$f" "corpus/per_file/$name"
done
for f in "$root"/inputs/progress/*/*.xlsx; do
    name=$(basename "$f")
    # 0x81: an .xlsx (0x81 % 3 == 0) placed as an R6 progress form.
    prefixed 81 "$f" "corpus/per_file/progress_$name"
done
if [ -n "${GYOKAKU_CORPUS_DIR:-}" ]; then
    while IFS= read -r -d '' f; do
        case "$f" in
            *.xls) byte=01 ;;
            *.ods) byte=02 ;;
            *) byte=00 ;;
        esac
        out="$(echo "$f" | tr '/' '_')"
        prefixed "$byte" "$f" "corpus/workbook/$out"
        prefixed "$byte" "$f" "corpus/per_file/$out"
    done < <(find "$GYOKAKU_CORPUS_DIR" -type f \( -name '*.xls*' -o -name '*.ods' \) -print0)
fi
# The return writer replaces one part of the sample's 総務部 workbook; the
# byte is the part's index in fuzz_targets/returns.rs.
parts=("xl/worksheets/sheet2.xml" "xl/sharedStrings.xml" "xl/workbook.xml" "xl/styles.xml" "[Content_Types].xml" "xl/_rels/workbook.xml.rels")
for i in "${!parts[@]}"; do
    python3 - "$root/inputs/submissions/01_総務部.xlsx" "${parts[$i]}" "$i" "corpus/returns/part$i" <<'PY'
import sys, zipfile
book, part, index, out = sys.argv[1:]
data = zipfile.ZipFile(book).read(part)
open(out, "wb").write(bytes([int(index)]) + data)
PY
done
cp "$root/inputs/plan.toml" corpus/plan_toml/sample.toml
cp "$root/inputs/revisions/plan.toml" corpus/plan_toml/revisions.toml
cp "$root/templates/init/plan.toml" corpus/plan_toml/init.toml
for d in corpus/*; do echo "$d: $(ls "$d" | wc -l) inputs"; done
