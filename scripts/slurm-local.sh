#!/usr/bin/env bash
# A real single-node Slurm (Debian's slurm-wlm 22.05 + munge) on localhost, for cwrf's
# `--executor slurm` integration tests (CTest label `slurm`) and CI. Works as root in a
# container where systemd is not PID 1: the daemons are started directly, no cgroups.
#
#   scripts/slurm-local.sh install            apt-get slurm-wlm + munge if missing (idempotent)
#   scripts/slurm-local.sh start [STATE_DIR]  start munged, slurmctld, slurmd; wait until the
#                                             node is idle; print `export SLURM_CONF=...` on stdout
#   scripts/slurm-local.sh stop  [STATE_DIR]  cancel all jobs, stop the daemons (and munged if
#                                             this script started it)
#   scripts/slurm-local.sh status [STATE_DIR] exit 0 when the cluster accepts jobs
#
# STATE_DIR defaults to $CWRF_SLURM_DIR or /tmp/cwrf-slurm; it holds slurm.conf, the controller
# state, slurmd spool, logs (log/), pid files (run/) and the job-completion file jobcomp.txt.
# start/stop need root (they re-run themselves under sudo otherwise); jobs may then be submitted
# by any user, root included. start is idempotent; start after stop keeps job ids and history.
# slurm.conf is also installed as /etc/slurm/slurm.conf (unless a foreign file is there), so
# plain sbatch/squeue/sacct/scancel work; `eval "$(scripts/slurm-local.sh start)"` is the
# portable way to pick up SLURM_CONF either way.
#
# Final state of a job (no slurmdbd here: accounting_storage/none + jobcomp/filetxt):
#   scontrol show job -o ID    JobState=... Reason=... ExitCode=CODE:SIGNAL, while queued/running
#                              and for MinJobAge (300 s) after the end; then it prints
#                              "slurm_load_jobs error: Invalid job id specified" and exits 1
#   sacct -c -j ID -n -X -P -o JobID,State,ExitCode
#                              one line once the job has ended, e.g. 7|COMPLETED|0:0, 8|FAILED|3:0,
#                              9|CANCELLED|0:0, 10|TIMEOUT|0:0; read from jobcomp.txt, so it
#                              survives MinJobAge and restarts; no Reason, and a cancelled or
#                              timed-out job's ExitCode reads 0:0 (scontrol: 0:15, or 143:0 if the
#                              script trapped SIGTERM); empty output (rc 0) while it has not ended.
#   Plain `sacct` (without -c) prints "Slurm accounting storage is disabled", exit 1.
# Dependencies: submit dependants with `--kill-on-invalid-dep=yes`, or a job whose afterok
# parent failed stays PENDING (Reason=DependencyNeverSatisfied) forever; this cluster does not
# set SchedulerParameters=kill_invalid_depend, like most real clusters.
#
# Environment: CWRF_SLURM_DIR (default STATE_DIR), SLURM_LOCAL_TIMEOUT (start wait, default 60 s),
# CWRF_SLURM_USER (the one non-root user who may run sacct -c; default: whoever ran sudo).
set -euo pipefail

prog=$(basename "$0")
say() { echo "$prog: $*" >&2; }
die() { say "error: $*"; exit 1; }

cmd=${1:-}
[[ $# -gt 0 ]] && shift
state_dir=$(realpath -m "${1:-${CWRF_SLURM_DIR:-/tmp/cwrf-slurm}}")
timeout=${SLURM_LOCAL_TIMEOUT:-60}
jobcomp_owner=${CWRF_SLURM_USER:-${SUDO_USER:-root}}
marker="# Written by cwrf scripts/slurm-local.sh; safe to overwrite."
etc_conf=/etc/slurm/slurm.conf
node=$(hostname -s)

conf=$state_dir/slurm.conf
ctld_pid=$state_dir/run/slurmctld.pid
slurmd_pid=$state_dir/run/slurmd.pid
munge_pid=/run/munge/munged.pid
munge_ours=$state_dir/run/munged.ours

sudo_prefix() { if [[ $(id -u) -ne 0 ]]; then echo sudo; fi; }

as_root() {  # re-run this script under sudo unless root
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || die "'$cmd' needs root (and sudo is not installed)"
    exec sudo CWRF_SLURM_DIR="$state_dir" SLURM_LOCAL_TIMEOUT="$timeout" \
      CWRF_SLURM_USER="$jobcomp_owner" "$0" "$cmd" "$state_dir"
  fi
}

need_installed() {
  local b
  for b in slurmctld slurmd sbatch munged; do
    command -v "$b" >/dev/null || die "$b not found; run '$prog install' first"
  done
}

running() {  # running PID NAME: PID is a live (not zombie) process called NAME
  local st
  st=$(cat /proc/"$1"/stat 2>/dev/null) || return 1
  [[ $st == "$1 ($2) "* ]] || return 1
  st=${st##*) }
  [[ ${st%% *} != [ZX] ]]  # PID 1 in a container may be slow to reap (or never reap) zombies
}

alive() {  # alive PIDFILE NAME: the process in PIDFILE runs and is NAME
  [[ -s $1 ]] && running "$(<"$1")" "$2"
}

use_conf() {  # the tools this script runs use the state dir's conf, wherever it is installed
  if [[ -f $conf ]]; then export SLURM_CONF=$conf; fi
}

slurm_version() { dpkg-query -W -f='${Version}' slurm-wlm 2>/dev/null || true; }

cmd_install() {
  local missing=() p sudo
  for p in slurm-wlm munge; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then
    say "slurm-wlm $(slurm_version) and munge already installed"
    return
  fi
  sudo=$(sudo_prefix)
  say "installing ${missing[*]}"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  say "installed slurm-wlm $(slurm_version) and munge"
}

start_munge() {
  if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then return; fi  # already running
  local key=/etc/munge/munge.key
  install -d -o munge -g munge -m 0700 /etc/munge /var/log/munge
  install -d -o munge -g munge -m 0711 /var/lib/munge
  install -d -o munge -g munge -m 0755 /run/munge
  if [[ ! -s $key ]]; then
    say "creating munge key $key"
    if command -v mungekey >/dev/null; then
      mungekey --create --keyfile="$key" --force
    else
      dd if=/dev/urandom of="$key" bs=1024 count=1 status=none
    fi
  fi
  chown munge:munge "$key"
  chmod 0400 "$key"
  runuser -u munge -- /usr/sbin/munged
  touch "$munge_ours"
  local i
  for ((i = 0; i < 50; i++)); do
    if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then return; fi
    sleep 0.1
  done
  tail -n 20 /var/log/munge/munged.log >&2 || true
  die "munged does not answer"
}

write_conf() {  # write_conf FILE
  local cpus mem
  cpus=$(nproc)
  mem=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 }' /proc/meminfo)
  cat >"$1" <<EOF
$marker
# Single node on the loopback address, for cwrf's integration tests; see the script's header.
ClusterName=cwrf
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
ReturnToService=2
SlurmdParameters=config_overrides
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$state_dir/jobcomp.txt
MailProg=/bin/true
EnforcePartLimits=ALL
# Finished jobs stay visible to squeue -t all / scontrol show job for 5 minutes.
MinJobAge=300
KillWait=5
InactiveLimit=0
StateSaveLocation=$state_dir/ctld
SlurmdSpoolDir=$state_dir/spool
SlurmctldPidFile=$ctld_pid
SlurmdPidFile=$slurmd_pid
SlurmctldLogFile=$state_dir/log/slurmctld.log
SlurmdLogFile=$state_dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
}

install_conf() {  # copy to /etc/slurm/slurm.conf unless someone else's file is there
  install -d -m 0755 /etc/slurm
  if [[ -e $etc_conf ]] && ! grep -qxF "$marker" "$etc_conf"; then
    say "warning: $etc_conf is not ours, leaving it; export SLURM_CONF=$conf to use this cluster"
    return
  fi
  cmp -s "$conf" "$etc_conf" || install -m 0644 "$conf" "$etc_conf"
}

logs_tail() {
  local f
  for f in "$state_dir"/log/slurmctld.log "$state_dir"/log/slurmd.log; do
    [[ -f $f ]] && { echo "---- tail $f" >&2; tail -n 25 "$f" >&2; }
  done
  return 0
}

registered_since() {  # registered_since EPOCH: slurmd (re)registered at or after EPOCH
  local t
  t=$(scontrol show node -o "$node" 2>/dev/null | grep -o 'SlurmdStartTime=[^ ]*' || true)
  t=${t#*=}
  [[ -n $t && $t != None ]] && (($(date -d "$t" +%s 2>/dev/null || echo 0) >= $1))
}

node_state() { sinfo -h -n "$node" -o %t 2>/dev/null | head -n 1 || true; }

cmd_start() {
  as_root
  need_installed
  local t0=$SECONDS
  install -d -m 0755 "$state_dir" "$state_dir"/{ctld,spool,log,run}
  start_munge

  write_conf "$conf.new"
  if [[ -f $conf ]] && ! cmp -s "$conf.new" "$conf" && alive "$ctld_pid" slurmctld; then
    say "configuration changed, restarting"
    cmd_stop_daemons
  fi
  mv -f "$conf.new" "$conf"
  install_conf
  use_conf

  if ! alive "$ctld_pid" slurmctld; then
    slurmctld -f "$conf" || { logs_tail; die "slurmctld failed to start"; }
  fi
  local since=""  # after a restart slurmctld reports the saved node state at once: wait for slurmd
  if ! alive "$slurmd_pid" slurmd; then
    since=$(date +%s)
    slurmd -f "$conf" -N "$node" || { logs_tail; die "slurmd failed to start"; }
  fi

  local st="" resumed=""
  while ((SECONDS - t0 < timeout)); do
    if ((SECONDS - t0 >= 3)) && ! { alive "$ctld_pid" slurmctld && alive "$slurmd_pid" slurmd; }; then
      logs_tail
      die "slurmctld or slurmd exited during start-up (logs above)"
    fi
    st=$(node_state)
    case $st in
      idle | mix | alloc) if [[ -z $since ]] || registered_since "$since"; then break; fi ;;
      drain* | drng | down* | inval)
        if [[ -z $resumed ]]; then
          resumed=1
          scontrol update NodeName="$node" State=RESUME 2>/dev/null || true
        fi ;;
    esac
    st=""
    sleep 0.5
  done
  if [[ -z $st ]]; then
    sinfo -R >&2 || true
    logs_tail
    die "node $node not idle after ${timeout}s (state: $(node_state || true))"
  fi
  # sacct -c opens the jobcomp file for appending and fchmod()s it to 0644 (22.05's jobcomp/filetxt
  # init, in slurmctld and in every sacct -c), so a user other than root can only use sacct -c if
  # the file is theirs: give it to the user who ran this script through sudo.
  touch "$state_dir/jobcomp.txt"
  chown "$jobcomp_owner" "$state_dir/jobcomp.txt"
  say "cluster up in $((SECONDS - t0))s: node $node $st, partition debug, state in $state_dir"
  echo "export SLURM_CONF=$conf"
}

stop_pid() {  # stop_pid PID NAME: wait up to 10 s for it to exit (daemons drop their pid file
  local i   # before they are gone), then SIGTERM, then SIGKILL
  for ((i = 0; i < 100; i++)); do running "$1" "$2" || return 0; sleep 0.1; done
  say "$2 ($1) still running, sending SIGTERM"
  kill "$1" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do running "$1" "$2" || return 0; sleep 0.1; done
  kill -9 "$1" 2>/dev/null || true
}

cmd_stop_daemons() {
  use_conf
  local cpid="" dpid="" i
  if alive "$ctld_pid" slurmctld; then cpid=$(<"$ctld_pid"); fi
  if alive "$slurmd_pid" slurmd; then dpid=$(<"$slurmd_pid"); fi
  if [[ -n $cpid ]]; then
    squeue -h -o %A 2>/dev/null | xargs -r scancel 2>/dev/null || true
    for ((i = 0; i < 40; i++)); do  # up to 10 s for the cancelled jobs to finish
      [[ -z $(squeue -h -o %A 2>/dev/null || true) ]] && break
      sleep 0.25
    done
    scontrol shutdown >/dev/null 2>&1 || true  # stops slurmctld and slurmd
  elif [[ -n $dpid ]]; then
    kill "$dpid" 2>/dev/null || true
  fi
  if [[ -n $cpid ]]; then stop_pid "$cpid" slurmctld; fi
  if [[ -n $dpid ]]; then stop_pid "$dpid" slurmd; fi
  rm -f "$ctld_pid" "$slurmd_pid"
}

cmd_stop() {
  as_root
  cmd_stop_daemons
  if [[ -f $munge_ours ]]; then
    if alive "$munge_pid" munged; then
      local mpid
      mpid=$(<"$munge_pid")
      kill "$mpid" 2>/dev/null || true
      stop_pid "$mpid" munged
    fi
    rm -f "$munge_ours"
  fi
  say "stopped"
}

cmd_status() {
  use_conf
  local st
  scontrol ping >/dev/null 2>&1 || { say "slurmctld not responding"; return 1; }
  st=$(node_state)
  case $st in
    idle | mix | alloc) say "up: node $node $st"; return 0 ;;
    *) say "node $node state '${st:-unknown}'"; return 1 ;;
  esac
}

case $cmd in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
