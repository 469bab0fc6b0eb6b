#!/usr/bin/env bash
# Benchmarks sk8's commands beside the reference Slurm's in one run (a
# benchmark, not a test: nothing here passes or fails on time). Needs the
# reference Slurm (../shared/refslurm/start.sh) and hyperfine (installed from
# Debian's packages when missing). Prints a Markdown table.
#
#   bash scripts/bench.sh            # release build, then hyperfine
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
cargo build -q --release --bins
ours=$PWD/target/release
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/job.sh" <<'SCRIPT'
#!/bin/bash
#SBATCH --job-name=train
#SBATCH --nodes=1 --ntasks-per-node=2
#SBATCH --cpus-per-task=1
#SBATCH --mem=100
#SBATCH --time=00:10:00
#SBATCH --output=%x-%j.out
srun hostname
SCRIPT

run() { # name, ours command, reference command
  hyperfine -N --warmup 5 --min-runs 50 --export-json "$work/$1.json" \
    -n "sk8 $1" "$2" -n "slurm $1" "$3" >/dev/null
  python3 - "$work/$1.json" "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
o, s = r[0]["mean"] * 1000, r[1]["mean"] * 1000
print(f"| `{sys.argv[2]}` | {o:.2f} ms ± {r[0]['stddev']*1000:.2f} | {s:.2f} ms ± {r[1]['stddev']*1000:.2f} | {o/s:.2f}x |")
PY
}

echo "| command | sk8 | Slurm 22.05 | ratio |"
echo "|---|---|---|---|"
run "sbatch --help" "$ours/sbatch --help" "/usr/bin/sbatch --help"
run "sbatch --test-only job.sh" "$ours/sbatch --test-only $work/job.sh" "/usr/bin/sbatch --test-only $work/job.sh"
run "srun --help" "$ours/srun --help" "/usr/bin/srun --help"

# The query commands over 1,000 queued (held) jobs on each side: ours on the
# local backend in a scratch SK8_HOME shaped like the reference's node.
export SK8_HOME="$work/home"
mkdir -p "$SK8_HOME"
printf '[[node]]\nname = "vm"\ncpus = 2\nmemory_mb = 24105\n' > "$SK8_HOME/config.toml"
ref_ids=()
for _ in $(seq 1000); do
  "$ours/sbatch" --hold --parsable --wrap true >/dev/null
  ref_ids+=("$(/usr/bin/sbatch --hold --parsable -o /dev/null --wrap true)")
done
run "squeue (1,000 jobs)" "$ours/squeue" "/usr/bin/squeue"
run "squeue -h -o %i (1,000 jobs)" "$ours/squeue -h -o %i" "/usr/bin/squeue -h -o %i"
run "sinfo" "$ours/sinfo" "/usr/bin/sinfo"
/usr/bin/scancel "${ref_ids[@]}"
