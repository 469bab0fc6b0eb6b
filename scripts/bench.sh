#!/usr/bin/env bash
# Benchmarks sk8's commands beside the reference Slurm's in one run (a
# benchmark, not a test: nothing here passes or fails on time). Needs the
# reference Slurm (../shared/refslurm/start.sh) and hyperfine (installed from
# Debian's packages when missing). Prints a Markdown table.
#
#   bash scripts/bench.sh            # release build, then hyperfine
#   BENCH_ONLY=squeue bash scripts/bench.sh   # only the squeue lines
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
cargo build -q --release --bins
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Ours by their Slurm names: links to the multi-call binary, as installed.
ours=$work/bin
target/release/sk8 install-links "$ours" >/dev/null
# Ours run on the local backend in a scratch state directory shaped like the
# reference's node.
export SK8_HOME="$work/home"
mkdir -p "$SK8_HOME"
printf '[[node]]\nname = "vm"\ncpus = 2\nmemory_mb = 24105\n' > "$SK8_HOME/config.toml"
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
only=${BENCH_ONLY:-}
if [[ -z $only ]]; then
run "sbatch --help" "$ours/sbatch --help" "/usr/bin/sbatch --help"
run "sbatch --test-only job.sh" "$ours/sbatch --test-only $work/job.sh" "/usr/bin/sbatch --test-only $work/job.sh"
run "srun --help" "$ours/srun --help" "/usr/bin/srun --help"
# A real submission that does not run (held), side by side; the reference's
# held jobs are cancelled by name afterwards, ours go with the scratch home.
run "sbatch --hold job.sh" "$ours/sbatch --hold -J bench-hold $work/job.sh" \
  "/usr/bin/sbatch --hold -J bench-hold $work/job.sh"
/usr/bin/scancel --name=bench-hold
fi

# The query commands over 1,000 queued (held) jobs on each side.
ref_ids=()
for _ in $(seq 1000); do
  "$ours/sbatch" --hold --parsable --wrap true >/dev/null
  ref_ids+=("$(/usr/bin/sbatch --hold --parsable -o /dev/null --wrap true)")
done
run "squeue (1,000 jobs)" "$ours/squeue" "/usr/bin/squeue"
run "squeue -h -o %i (1,000 jobs)" "$ours/squeue -h -o %i" "/usr/bin/squeue -h -o %i"
[[ -z $only ]] && run "sinfo" "$ours/sinfo" "/usr/bin/sinfo"
/usr/bin/scancel "${ref_ids[@]}"
