#!/usr/bin/env bash
# Checks the dependency graph with cargo-deny (deny.toml): licenses on the allowed list, crates
# from crates.io only, and duplicate versions reported. cargo-deny is installed, at a pinned
# version, under the target directory (kept outside the clone), so later runs reuse it.
# Security advisories need the RustSec database, fetched from GitHub, which this network does
# not reach; run `scripts/deny.sh advisories` where it does. Arguments name the checks
# (default: licenses bans sources).
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/strata-target}"
readonly VERSION=0.20.2
readonly ROOT=$CARGO_TARGET_DIR/tools
readonly DENY=$ROOT/bin/cargo-deny

if ! [[ -x $DENY && $("$DENY" --version) == "cargo-deny $VERSION" ]]; then
    echo "deny: installing cargo-deny $VERSION" >&2
    cargo install --quiet --locked --root "$ROOT" "cargo-deny@$VERSION" >&2
fi
checks=("$@")
[[ ${#checks[@]} -gt 0 ]] || checks=(licenses bans sources)
"$DENY" --log-level error check "${checks[@]}"
