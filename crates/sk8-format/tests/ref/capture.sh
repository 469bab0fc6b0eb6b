#!/usr/bin/env bash
# Creates the reference situations on real Slurm 22.05 and captures the output
# of every line of commands.txt, with the snapshot the tests rebuild records
# from. Usage: capture.sh OUTDIR [--quick]   (--quick skips the timed-out job,
# which costs a minute and a half). Cancels every job it created on exit.
set -uo pipefail
out=${1:?usage: capture.sh OUTDIR [--quick]}
quick=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"; out=$(cd "$out" && pwd)
work=$(mktemp -d /tmp/sk8fmt.XXXXXX)
cd "$work" || exit 1
S=/usr/bin
# Without --mem a job takes all of the node's memory and jobs never share it.
ids=()
sub() { # VAR sbatch-args...: submits, records the id in VAR and in ids
  local var=$1 id; shift
  id=$("$S/sbatch" --parsable --mem=100M -o /dev/null "$@") || exit 1
  id=${id%%;*}; ids+=("$id"); printf -v "$var" %s "$id"
}
cleanup() { ((${#ids[@]})) && "$S/scancel" "${ids[@]}" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
state() { "$S/scontrol" show job -o "$1" | grep -o 'JobState=[A-Z_]*' | head -1 | cut -d= -f2; }
wait_state() { # id state... (up to $WAIT seconds)
  local id=$1 i; shift
  for ((i = 0; i < ${WAIT:-30} * 2; i++)); do
    local s; s=$(state "$id")
    for w in "$@"; do [[ $s == "$w" ]] && return 0; done
    sleep 0.5
  done
  echo "capture: job $id never reached $*" >&2; return 1
}

TO=0
[[ $quick == --quick ]] || sub TO -J fxto -t 1 --wrap 'sleep 200'
sub OK -J fxok -t 10 --wrap 'srun true; true'
sub FAIL -J fxfail -t 10 --wrap 'exit 3'
sub CANC -J fxcanc --hold -t 10 --wrap 'sleep 1'
"$S/scancel" "$CANC"
WAIT=120 wait_state "$OK" COMPLETED
WAIT=120 wait_state "$FAIL" FAILED
[[ $TO == 0 ]] || WAIT=200 wait_state "$TO" TIMEOUT
sub RUN -J fxrun -n1 -t 30 --wrap 'sleep 1000'
WAIT=120 wait_state "$RUN" RUNNING || exit 1
sub ARR -J fxarr --array=1-6%3 -t 20 --wrap 'sleep 1000'
sleep 1
sub PEND -J fxpend -n2 -t 5 --wrap 'sleep 60'
sub HELD -J fxheld --hold -p batch -t 1-0 --wrap 'sleep 60'
sub DEP -J fxdep --dependency=afterok:"$RUN" -t 2:00:00 --wrap 'true'
# Let the scheduler give every pending job its reason.
sleep 3
all=$(IFS=,; echo "${ids[*]}")
[[ $TO == 0 ]] && all=${all#0,}

snapshot() {
  echo "### jobs"; "$S/scontrol" show job -o
  echo "### nodes"; "$S/scontrol" show node -o
  echo "### partitions"; "$S/scontrol" show partition -o
  echo "### sacct"
  "$S/sacct" -j "$all" -P -o JobIDRaw,JobID,JobName,Partition,Account,AllocCPUS,State,ExitCode,Submit,Start,End,Elapsed,NodeList,Timelimit,User,NNodes,NTasks
}
# Strip what moves on its own (run times, load, free memory) before comparing snapshots.
stable() { sed -E 's/(RunTime|CPULoad|FreeMem|LastBusyTime|Elapsed)=[^ ]*//g; s/\|[0-9]+-?[0-9:]*\|vm\|/|/g'; }

for attempt in 1 2 3 4 5; do
  snapshot > "$out/snapshot.txt"
  : > "$out/captures.jsonl"
  grep -v '^#' "$here/commands.txt" | while IFS= read -r line; do
    [[ -z $line ]] && continue
    cmd=$line
    for k in IDS:all RUN ARR PEND HELD DEP OK FAIL CANC TO; do
      var=${k#*:}; key=${k%%:*}; cmd=${cmd//\{$key\}/${!var}}
    done
    [[ $TO == 0 && $line == *'{TO}'* ]] && continue
    now=$(date +%s)
    eval "$S/$cmd" > "$work/o" 2> "$work/e"; rc=$?
    jq -cn --arg template "$line" --arg cmd "$cmd" --argjson now "$now" --argjson status $rc \
      --rawfile stdout "$work/o" --rawfile stderr "$work/e" \
      '{template:$template,cmd:$cmd,now:$now,status:$status,stdout:$stdout,stderr:$stderr}' >> "$out/captures.jsonl"
  done
  snapshot > "$work/after"
  if diff <(stable < "$out/snapshot.txt") <(stable < "$work/after") > "$work/d"; then
    echo "capture: $(wc -l < "$out/captures.jsonl") command lines captured in $out" >&2
    exit 0
  fi
  echo "capture: situation moved during attempt $attempt, retrying" >&2; cat "$work/d" >&2
  sleep 2
done
# Exit 2: other users of the reference kept changing its queue (jobs ending,
# purged after MinJobAge) while the commands ran; nothing could be compared.
echo "capture: the reference's queue kept moving; giving up" >&2
exit 2
