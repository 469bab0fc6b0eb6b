#!/usr/bin/env bash
# Benchmarks the Kubernetes backend beside kubectl against the same test API
# server (sk8-kubesim), as issue 5 asks: `kubectl create -f` of one
# ConfigMap, `sbatch` of a two-node GPU pod group (all its API calls), and
# `squeue` over 1,000 jobs. Time by hyperfine, peak memory by GNU time. A
# benchmark, not a test: nothing here passes or fails on time.
#
#   bash scripts/bench-kube.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

need() { command -v "$1" >/dev/null || { apt-get update -qq && apt-get install -y -qq "$2" >/dev/null; }; }
need hyperfine hyperfine
need kubectl kubernetes-client
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
cargo build -q --release --bins
cargo build -q --release -p sk8-kubesim
ours=$PWD/target/release
work=$(mktemp -d)
# sk8's commands by their Slurm names: links to the multi-call binary.
"$ours/sk8" install-links "$work/bin" >/dev/null
"$ours/sk8-kubesim" --nodes 4 --gpus 8 --gpu-product NVIDIA-H100-80GB-HBM3 --provider kueue \
  --no-run-pods --kubeconfig "$work/kubeconfig" >"$work/sim.log" 2>&1 &
sim=$!
trap 'kill $sim 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do [ -s "$work/kubeconfig" ] && break; sleep 0.05; done
export KUBECONFIG=$work/kubeconfig SK8_BACKEND=kubernetes SK8_HOME=$work/home
mkdir -p "$SK8_HOME"
printf '[kubernetes]\ngang = "kueue"\n' >"$SK8_HOME/config.toml"

cat >"$work/cm.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata:
  generateName: bench-
data:
  key: value
YAML
cat >"$work/train.sh" <<'SCRIPT'
#!/bin/bash
#SBATCH --job-name=train
#SBATCH --nodes=2
#SBATCH --gres=gpu:H100:8
#SBATCH --time=01:00:00
srun torchrun --nnodes=2 train.py
SCRIPT

time_of() { # name, command...: hyperfine mean and GNU time's peak RSS
  local name=$1; shift
  # A fixed number of runs (3 + 30, and one more for the memory): each sbatch
  # run adds a pending job, and the
  # squeue figure is meant for about 1,000 jobs, not however many fit in
  # hyperfine's time budget.
  hyperfine -N --warmup 3 --runs 30 --export-json "$work/t.json" "$*" >/dev/null
  local rss
  rss=$(/usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1)
  python3 - "$work/t.json" "$name" "$rss" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(f"| {sys.argv[2]} | {r['mean']*1000:.1f} ms ± {r['stddev']*1000:.1f} | {r['median']*1000:.1f} ms | {int(sys.argv[3])/1024:.1f} MB |")
PY
}

echo "| command (against sk8-kubesim) | mean | median | peak memory |"
echo "|---|---|---|---|"
time_of '`kubectl create -f` one ConfigMap' kubectl create -f "$work/cm.yaml"
time_of '`sbatch` two-node GPU job' "$work/bin/sbatch" "$work/train.sh"
for _ in $(seq 1000); do "$work/bin/sbatch" --hold --wrap true >/dev/null; done
[ "$("$work/bin/squeue" -h | wc -l)" -eq 1034 ] || echo "warning: not 1,034 jobs" >&2
time_of '`squeue` over 1,000 held + 34 two-node jobs' "$work/bin/squeue"
time_of '`kubectl get configmaps` (same objects)' kubectl get configmaps
