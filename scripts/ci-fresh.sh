#!/usr/bin/env bash
# Runs CI as CI does: a fresh clone of this repository's committed state (in
# a temp dir, pointed at the shared folder beside this checkout through
# SK8_SHARED_DIR), then `bash .ci/run` in it, timed. Uncommitted changes are
# not part of the clone; commit first (or pass another ref as $1).
#
#   bash scripts/ci-fresh.sh [ref]
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ref=${1:-HEAD}
parent=$(dirname "$repo")
[[ -d $parent/shared ]] || { echo "ci-fresh: $parent/shared not found" >&2; exit 1; }

clone=$(mktemp -d /tmp/sk8-ci-fresh.XXXXXX)
trap 'rm -rf "$clone"' EXIT
git clone --quiet "$repo" "$clone"
git -C "$clone" checkout --quiet "$ref"

start=$SECONDS
(cd "$clone" && CI=true SK8_SHARED_DIR="$parent/shared" bash .ci/run)
echo "ci-fresh: .ci/run passed in $((SECONDS - start))s"
