#!/usr/bin/env bash
# Proves that the local Slurm from scripts/slurm-local.sh accepts and runs jobs the way cwrf's
# slurm executor uses them; exits non-zero if any check fails. For CI, after
#   scripts/slurm-local.sh install && scripts/slurm-local.sh start
# run
#   scripts/slurm-local-selftest.sh [STATE_DIR]
# Checks (about 15 s): 1. a trivial job ends COMPLETED 0:0 with its --output file written;
# 2. A exits 3 -> FAILED 3:0, and B (--dependency=afterok:A --kill-on-invalid-dep=yes) never
# runs and ends CANCELLED; 3. a running job cancelled with scancel ends CANCELLED;
# 4. two 1-CPU jobs run at the same time. Final states are read with `sacct -c` (jobcomp file).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
state_dir=${1:-${CWRF_SLURM_DIR:-/tmp/cwrf-slurm}}
[[ -f $state_dir/slurm.conf ]] && export SLURM_CONF=$state_dir/slurm.conf
"$here/slurm-local.sh" status "$state_dir" || {
  echo "selftest: cluster not up; run scripts/slurm-local.sh start first" >&2
  exit 1
}

work=$(mktemp -d /tmp/cwrf-slurm-selftest.XXXXXX)
ids=()
cleanup() {
  if [[ -s $work/ids ]]; then mapfile -t ids <"$work/ids"; scancel "${ids[@]}" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
failures=0
ok() { echo "selftest: ok   $*"; }
bad() { echo "selftest: FAIL $*" >&2; failures=$((failures + 1)); }

final() {  # final ID [TIMEOUT_S]: prints "STATE EXITCODE" once the job has finished
  local id=$1 limit=${2:-30} line t0=$SECONDS
  while ((SECONDS - t0 < limit)); do
    if ! line=$(sacct -c -j "$id" -n -X -P -o State,ExitCode 2>&1); then
      echo "SACCT-ERROR ${line//$'\n'/ }"
      return
    fi
    line=$(tail -n 1 <<<"$line")
    if [[ -n $line ]]; then echo "${line/|/ }"; return; fi
    sleep 0.25
  done
  echo "TIMEOUT-WAITING $(squeue -h -j "$id" -o '%T/%r' 2>/dev/null || true)"
}

submit() {  # prints the job id; remembers it in ids (the caller runs it in $(...), so via a file)
  local id
  id=$(sbatch --parsable "$@" | cut -d';' -f1)
  echo "$id" >>"$work/ids"
  echo "$id"
}

# 1. trivial job
j=$(submit -J st-trivial -o "$work/trivial-%j.out" --wrap 'echo hello-from-slurm')
r=$(final "$j")
if [[ $r == "COMPLETED 0:0" ]] && grep -qx hello-from-slurm "$work/trivial-$j.out"; then
  ok "1 trivial job $j: $r"
else
  bad "1 trivial job $j: '$r', output: $(cat "$work/trivial-$j.out" 2>&1)"
fi

# 2. failing job and its afterok dependant
a=$(submit -J st-fail -o "$work/a-%j.out" --wrap 'exit 3')
b=$(submit -J st-dep --dependency="afterok:$a" --kill-on-invalid-dep=yes -o "$work/b-%j.out" \
  --wrap "touch '$work/b-ran'")
ra=$(final "$a")
rb=$(final "$b")
if [[ $ra == "FAILED 3:0" ]]; then ok "2 failing job $a: $ra"; else bad "2 failing job $a: '$ra'"; fi
if [[ $rb == CANCELLED* && ! -e $work/b-ran ]]; then
  ok "2 dependant $b of the failed job: $rb, never ran"
else
  bad "2 dependant $b: '$rb', ran: $([[ -e $work/b-ran ]] && echo yes || echo no)"
fi

# 3. cancel a running job
l=$(submit -J st-long -o "$work/long-%j.out" --wrap 'echo started; sleep 300')
t0=$SECONDS
until [[ $(squeue -h -j "$l" -o %T 2>/dev/null) == RUNNING ]]; do
  ((SECONDS - t0 < 30)) || break
  sleep 0.2
done
scancel "$l"
rl=$(final "$l" 20)
if [[ $rl == CANCELLED* ]]; then ok "3 cancelled job $l: $rl"; else bad "3 cancelled job $l: '$rl'"; fi

# 4. two 1-CPU jobs at once (the node has >= 2 CPUs)
p1=$(submit -J st-par1 -n1 -o "$work/p-%j.out" --wrap "touch '$work/p1'; sleep 4; ls '$work/p2'")
p2=$(submit -J st-par2 -n1 -o "$work/p-%j.out" --wrap "touch '$work/p2'; sleep 4; ls '$work/p1'")
r1=$(final "$p1")
r2=$(final "$p2")
if [[ $r1 == "COMPLETED 0:0" && $r2 == "COMPLETED 0:0" ]]; then
  ok "4 concurrent jobs $p1 $p2: both saw each other running"
else
  bad "4 concurrent jobs $p1 '$r1', $p2 '$r2' (not run at the same time?)"
fi

if ((failures)); then
  echo "selftest: $failures check(s) failed; logs in $state_dir/log" >&2
  exit 1
fi
echo "selftest: all checks passed"
