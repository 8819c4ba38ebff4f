#!/usr/bin/env bash
# Captures, or compares against, the compiled output of every corpus Butane
# file (compact and pretty) and of every example host, with the example
# identity. A refactor that must not change output runs
#   bash benches/golden-outputs.sh capture DIR   (before)
#   bash benches/golden-outputs.sh compare DIR   (after)
# and `compare` exits 1 on the first differing byte.
# KINDLING names the binary (default: a fresh `cargo build --release`).
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:?capture|compare}"
dir="${2:?directory}"
if [ -z "${KINDLING:-}" ]; then
    cargo build --release --quiet
    KINDLING="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/kindling"
    [ -x "$KINDLING" ] || KINDLING="$(ls target/*/release/kindling | head -1)"
fi
identity="$PWD/tests/fixtures/example-identity.txt"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for bu in tests/corpus/butane/*.bu; do
    name="$(basename "$bu" .bu)"
    for style in compact pretty; do
        flag=""; [ "$style" = pretty ] && flag="-p"
        if "$KINDLING" butane $flag -d tests/corpus/butane/files "$bu" > "$work/$name.$style.ign" 2> "$work/$name.$style.err"; then
            echo ok > "$work/$name.$style.rc"
        else
            echo "fail $?" > "$work/$name.$style.rc"
        fi
    done
done
KINDLING_AGE_IDENTITY="$identity" "$KINDLING" build --identity "$identity" --out "$work/published" > /dev/null 2>&1
# What readers of build/ see (its files, links followed), not how it is published.
mkdir "$work/build"
cp -L "$work"/published/*.ign "$work"/published/manifest.json "$work/build/"
rm -rf "$work/published"
rm -f "$work"/*.err
case "$mode" in
    capture) rm -rf "$dir"; mkdir -p "$dir"; cp -a "$work/." "$dir/"; echo "captured $(find "$dir" -type f | wc -l) files in $dir" ;;
    compare) diff -r "$dir" "$work" && echo "identical: $(find "$dir" -type f | wc -l) files" ;;
    *) echo "usage: $0 capture|compare DIR" >&2; exit 2 ;;
esac
