#!/usr/bin/env bash
# Builds each fuzz target's seed corpus from the repository's real inputs:
# the Butane corpus (tests/corpus/butane), the reference Butane's outputs
# (Ignition JSON), the Quadlet corpus and the example fleet's manifests.
# Seeds go to tests/fuzz/corpus/<target>/ (git-ignored; cargo fuzz adds
# what it finds there).
set -euo pipefail
cd "$(dirname "$0")"
repo=../..
out=corpus
mkdir -p "$out"/{butane_yaml,ignition_json,quadlet_file,fleet_manifest}
cp "$repo"/tests/corpus/butane/*.bu "$out/butane_yaml/"
cp "$repo"/tests/corpus/butane/expected/* "$out/ignition_json/" 2>/dev/null || true
i=0
for f in "$repo"/tests/corpus/quadlet/*/* "$repo"/tests/corpus/quadlet/*; do
    [ -f "$f" ] || continue
    case "$f" in *.md) continue ;; esac
    for kind in 0 1 2 3 4 5 6 7 8; do
        { printf "\\x0$kind"; cat "$f"; } > "$out/quadlet_file/q$i-$kind"
    done
    i=$((i + 1))
done
# fleet_manifest: selector byte 0 fleet.yaml, 1 host, 2 service, 3 Quadlet.
{ printf '\x00'; cat "$repo/fleet.yaml"; } > "$out/fleet_manifest/fleet"
n=0
for f in "$repo"/hosts/*.yaml; do { printf '\x01'; cat "$f"; } > "$out/fleet_manifest/host$n"; n=$((n + 1)); done
for f in "$repo"/containers/*.yaml; do { printf '\x02'; cat "$f"; } > "$out/fleet_manifest/service$n"; n=$((n + 1)); done
for f in "$repo"/containers/*.container; do { printf '\x03'; cat "$f"; } > "$out/fleet_manifest/quadlet$n"; n=$((n + 1)); done
for t in butane_yaml ignition_json quadlet_file fleet_manifest; do
    echo "$t: $(ls "$out/$t" | wc -l) seeds"
done
