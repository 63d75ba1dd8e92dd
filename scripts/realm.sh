#!/usr/bin/env bash
# realm.sh - a throwaway MIT Kerberos realm (WKTEST.LOCAL) on 127.0.0.1, for tests.
#
# Usage:
#   scripts/realm.sh start DIR [--watch PID] [--kadmind]
#       Create a fresh realm in DIR (created if missing; it must be empty, or
#       a realm made by this script, which is then stopped and wiped first),
#       start krb5kdc (and, with --kadmind, kadmind incl. kpasswd) on free
#       127.0.0.1 ports, kinit alice into FILE:DIR/ccache, and print the
#       realm's environment on stdout as KEY=VALUE lines.
#       --watch PID  also start a detached watchdog that stops the daemons as
#                    soon as process PID exits (even if it crashes).
#   scripts/realm.sh stop DIR     Stop the daemons and watchdog of DIR
#                                 (idempotent). DIR itself is left in place.
#   scripts/realm.sh env DIR      Print the KEY=VALUE lines again.
#   scripts/realm.sh status DIR   Print the PIDs of what runs for DIR;
#                                 exit status 0 iff the KDC is running.
#   scripts/realm.sh install      Install the Debian packages (idempotent).
#
# Output contract of `start` and `env`: stdout carries nothing but lines of
# the form KEY=VALUE (no `export`, no quoting). Split each line on the FIRST
# `=` only: the value is everything after it, verbatim. Values contain no
# whitespace, except WKTEST_CAROL_PASS, which deliberately holds spaces and
# other special characters. Keys:
#   KRB5_CONFIG KRB5_KDC_PROFILE KRB5CCNAME KRB5_KTNAME KRB5RCACHEDIR
#   WKTEST_DIR WKTEST_REALM WKTEST_KDC_PORT
#   WKTEST_KADMIN_PORT WKTEST_KPASSWD_PORT          (only with --kadmind)
#   WKTEST_USER WKTEST_PASS WKTEST_BOB WKTEST_BOB_PASS
#   WKTEST_CAROL WKTEST_CAROL_PASS WKTEST_DAVE WKTEST_DAVE_PASS
#   WKTEST_SERVICE WKTEST_SPN WKTEST_OTHER_KEYTAB
# All diagnostics go to stderr; daemon logs are DIR/kdc.log, DIR/kadmind.log.
#
# Contents of the realm:
#   alice@WKTEST.LOCAL  password alice-pw-1 (+requires_preauth), in DIR/ccache
#   bob@WKTEST.LOCAL    password bob-pw-2, password policy `strict`
#                       (minlength 12, minclasses 3) for password-change tests
#   carol@WKTEST.LOCAL  password 'p@ss:w%rd/ü+ 1' (special characters)
#   dave@WKTEST.LOCAL   password dave-pw-4, policy `strict`: the one principal
#                       whose password tests may change (through kadmind)
#   HTTP/localhost, host/localhost, mongodb/localhost (random keys), all in
#   DIR/service.keytab; DIR/other.keytab holds host/localhost only.
#   kadm5.acl grants */admin@WKTEST.LOCAL everything.
#
# Rules this script keeps:
#   * /etc/krb5.conf is never read or written: everything is selected through
#     KRB5_CONFIG / KRB5_KDC_PROFILE / KRB5CCNAME / KRB5_KTNAME / KRB5RCACHEDIR.
#   * Daemons listen on 127.0.0.1 only (kdc_listen, kdc_tcp_listen,
#     kadmind_listen, kpasswd_listen), never on a wildcard address.
#   * Ports are picked at start time. krb5kdc binds with SO_REUSEPORT, so two
#     KDCs can silently share a port; after start we check that our sockets
#     are the only ones on their ports and retry with new ports otherwise.
#   * A PID is only ever signalled after checking that it is really ours:
#     process name, an exact command-line argument naming DIR, and an
#     environment variable naming DIR.
#
# Note on timeouts: MIT krb5 1.20 has no krb5.conf setting that bounds how
# long a client waits for a KDC that accepts connections but never answers
# (libdefaults request_timeout / max_retries / kdc_timeout are ignored by
# 1.20.1: measured ~27 s with and without them), so none is written here. A
# KDC whose port is closed fails at once. Tests that simulate a hanging KDC
# must bound the call themselves (e.g. a subprocess with a timeout).
set -euo pipefail

if ((BASH_VERSINFO[0] < 5)); then
  echo "realm.sh: bash >= 5 is required" >&2
  exit 1
fi

readonly REALM=WKTEST.LOCAL
readonly MARKER=.wktest-realm            # marks a directory as one of ours
readonly MASTER_PASS=wktest-master-not-secret
readonly ALICE_PASS=alice-pw-1
readonly BOB_PASS=bob-pw-2
readonly CAROL_PASS='p@ss:w%rd/ü+ 1'
readonly DAVE_PASS=dave-pw-4
readonly START_TIMEOUT_US=10000000       # 10 s for a daemon to come up
readonly PACKAGES=(krb5-kdc krb5-admin-server krb5-user libkrb5-dev)

# The daemons and kadmin.local live in /usr/sbin, which a non-root PATH may
# lack.
export PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"
SCRIPT_PATH=$(readlink -f -- "${BASH_SOURCE[0]}")
readonly SCRIPT_PATH

# Globals filled in by `start`.
dir=""
watch_pid=""
with_kadmind=0
kdc_port=""
kadmin_port=""
kpasswd_port=""

log() { printf 'realm.sh: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}
usage() {
  sed -n '2,18p' "$SCRIPT_PATH" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# tick: set NOW to the microseconds since the epoch (no fork).
NOW=0
tick() { NOW=${EPOCHREALTIME//[!0-9]/}; }

# Sleep briefly; `sleep` accepts fractions on Debian (coreutils).
nap() { sleep "${1:-0.02}"; }

# ---------------------------------------------------------------------------
# Process helpers (they read /proc; only grep is forked)
# ---------------------------------------------------------------------------

# proc_fields PID -> sets the global array PROC_FIELDS to the fields of
# /proc/PID/stat that follow the command name: [0]=state, [1]=ppid,
# [2]=process group, [3]=session, ..., [19]=start time (see proc(5)).
# Fails if the process does not exist.
PROC_FIELDS=()
proc_fields() {
  local stat=""
  [[ $1 =~ ^[0-9]+$ ]] || return 1
  { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
  # The command name is in parentheses and may itself contain ") ".
  stat=${stat##*) }
  read -r -a PROC_FIELDS <<<"$stat"
}

# proc_alive PID: the process exists and is not a zombie.
proc_alive() {
  proc_fields "$1" || return 1
  [[ ${PROC_FIELDS[0]} != Z && ${PROC_FIELDS[0]} != X ]]
}

# proc_starttime PID: print the start time (clock ticks since boot); used
# with the PID to recognise a process even if its PID is later reused.
proc_starttime() {
  proc_fields "$1" || return 1
  printf '%s' "${PROC_FIELDS[19]}"
}

# has_arg PID STRING: STRING is one of the process's argv entries, exactly.
has_arg() { grep -qzxF -- "$2" "/proc/$1/cmdline" 2>/dev/null; }

# has_env PID NAME=VALUE: exactly that entry is in the process's environment.
has_env() { grep -qzxF -- "$2" "/proc/$1/environ" 2>/dev/null; }

# is_our_daemon PID NAME: PID is a live krb5kdc/kadmind started for $dir.
is_our_daemon() {
  local pid=$1 name=$2 comm=""
  proc_alive "$pid" || return 1
  { read -r comm <"/proc/$pid/comm"; } 2>/dev/null || return 1
  [[ $comm == "$name" ]] || return 1
  has_arg "$pid" "$dir/$name.pid" || return 1
  has_env "$pid" "KRB5_KDC_PROFILE=$dir/kdc.conf"
}

# is_our_watchdog PID: PID is a live watchdog started for $dir. The watchdog
# leads its own session (setsid); this tells it apart from its own subshells,
# which share its command line and environment.
is_our_watchdog() {
  local pid=$1
  proc_alive "$pid" || return 1
  [[ ${PROC_FIELDS[3]} == "$pid" ]] || return 1
  has_arg "$pid" __watch || return 1
  has_arg "$pid" "$dir" || return 1
  has_env "$pid" "WKTEST_WATCHDOG_DIR=$dir"
}

# find_ours -> prints "KIND PID" lines for every live daemon/watchdog of $dir.
# Candidates come from the PID files and from a scan of all command lines
# (which also finds a daemon whose PID file was never written or was
# deleted together with DIR); every candidate is verified before use.
find_ours() {
  local -A seen=()
  local pid name f candidates=()
  for name in krb5kdc kadmind watchdog; do
    f="$dir/$name.pid"
    if [[ -f $f ]]; then
      { read -r pid <"$f"; } 2>/dev/null || pid=""
      [[ $pid =~ ^[0-9]+$ ]] && candidates+=("$pid")
    fi
  done
  local matches
  matches=$(grep -lzxF -e "$dir/krb5kdc.pid" -e "$dir/kadmind.pid" -e "$dir" \
    /proc/[0-9]*/cmdline 2>/dev/null || true)
  for f in $matches; do
    f=${f#/proc/}
    candidates+=("${f%/cmdline}")
  done
  for pid in "${candidates[@]}"; do
    [[ -n ${seen[$pid]:-} ]] && continue
    seen[$pid]=1
    if is_our_daemon "$pid" krb5kdc; then
      echo "krb5kdc $pid"
    elif is_our_daemon "$pid" kadmind; then
      echo "kadmind $pid"
    elif is_our_watchdog "$pid"; then
      echo "watchdog $pid"
    fi
  done
}

# do_stop: stop everything of $dir: SIGTERM to all (the watchdog first, unless
# the caller IS the watchdog, $$), wait up to 3 s, then SIGKILL what is left.
# Idempotent; never fails because something is already gone.
do_stop() {
  local kind pid victims=() line
  while read -r line; do
    [[ -n $line ]] || continue
    kind=${line%% *}
    pid=${line#* }
    [[ $kind == watchdog && $pid == "$$" ]] && continue
    victims+=("$pid")
    log "stopping $kind (pid $pid)"
  done < <(find_ours | sort -r) # "watchdog" sorts before the daemons
  if ((${#victims[@]})); then
    kill -TERM "${victims[@]}" 2>/dev/null || true
    local deadline left
    tick
    deadline=$((NOW + 3000000))
    while :; do
      left=()
      for pid in "${victims[@]}"; do
        proc_alive "$pid" && left+=("$pid")
      done
      ((${#left[@]})) || break
      tick
      if ((NOW > deadline)); then
        log "still alive after SIGTERM, sending SIGKILL: ${left[*]}"
        kill -KILL "${left[@]}" 2>/dev/null || true
        break
      fi
      nap 0.01
    done
  fi
  rm -f "$dir/krb5kdc.pid" "$dir/kadmind.pid"
  [[ $$ == "$(cat "$dir/watchdog.pid" 2>/dev/null)" ]] || rm -f "$dir/watchdog.pid"
}

# close_extra_fds: close every inherited descriptor above 2, so that the
# daemons and the watchdog (which outlive us) cannot keep a caller's pipe
# open and make it wait for an EOF that never comes. (Bash's own descriptor
# for reading this script is close-on-exec and stays.)
close_extra_fds() {
  local f fd
  for f in "/proc/$$/fd"/*; do
    fd=${f##*/}
    if [[ $fd =~ ^[0-9]+$ ]] && ((fd > 2 && fd != 255)); then
      eval "exec $fd>&-"
    fi
  done
}

# ---------------------------------------------------------------------------
# Ports
# ---------------------------------------------------------------------------

# pick_ports N -> prints N distinct ports that are free on 127.0.0.1 for both
# TCP and UDP (checked by binding them without SO_REUSEADDR, all held at
# once). Ports come from outside the kernel's ephemeral range so that an
# outgoing connection cannot grab one between this check and the daemon's
# bind.
pick_ports() {
  local py=/usr/bin/python3 # the system one starts fastest
  [[ -x $py ]] || py=$(command -v python3) || die "python3 is needed to pick free ports"
  "$py" - "$1" <<'EOF'
import random
import socket
import sys

want = int(sys.argv[1])
try:
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        lo, hi = map(int, f.read().split())
except OSError:
    lo, hi = 32768, 60999
pool = [p for p in range(20000, 65536) if not lo <= p <= hi] or list(range(20000, 65536))
random.shuffle(pool)
held, ports = [], []  # keep every socket bound until all ports are chosen
for port in pool:
    socks = [socket.socket(socket.AF_INET, socket.SOCK_STREAM),
             socket.socket(socket.AF_INET, socket.SOCK_DGRAM)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", port))
    except OSError:
        for s in socks:
            s.close()
        continue
    held += socks
    ports.append(port)
    if len(ports) == want:
        break
if len(ports) < want:
    sys.exit("no free ports found")
print(*ports)
EOF
}

# count_sockets tcp|udp PORT -> number of sockets bound to PORT (any local
# address, IPv4 and IPv6); for TCP only listening sockets count.
count_sockets() {
  local proto=$1 hex files=() f
  printf -v hex ':%04X' "$2"
  for f in "/proc/net/$proto" "/proc/net/${proto}6"; do
    [[ -r $f ]] && files+=("$f")
  done
  awk -v hex="$hex" -v tcp="$([[ $proto == tcp ]] && echo 1 || echo 0)" '
    FNR > 1 && substr($2, length($2) - 4) == hex && (!tcp || $4 == "0A") { n++ }
    END { print n + 0 }' "${files[@]}"
}

# port_open PORT: something accepts TCP connections on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ---------------------------------------------------------------------------
# Realm files
# ---------------------------------------------------------------------------

write_confs() {
  # Client profile. dns_canonicalize_hostname/rdns off and qualify_shortname
  # empty keep HTTP@localhost exactly HTTP/localhost (otherwise MIT >= 1.18
  # appends the first DNS search domain to single-label names).
  # udp_preference_limit = 1 makes clients use TCP first.
  {
    cat <<EOF
# Generated by scripts/realm.sh for a throwaway test realm. Do not edit.
[libdefaults]
    default_realm = $REALM
    dns_lookup_kdc = false
    dns_lookup_realm = false
    dns_canonicalize_hostname = false
    qualify_shortname = ""
    rdns = false
    forwardable = true
    udp_preference_limit = 1

[realms]
    $REALM = {
        kdc = 127.0.0.1:$kdc_port
EOF
    if ((with_kadmind)); then
      cat <<EOF
        admin_server = 127.0.0.1:$kadmin_port
        kpasswd_server = 127.0.0.1:$kpasswd_port
EOF
    fi
    cat <<EOF
    }

[domain_realm]
    localhost = $REALM
    .localhost = $REALM
EOF
  } >"$dir/krb5.conf"

  # KDC profile. The listen addresses are set both in [kdcdefaults] and in
  # the realm so that nothing falls back to the wildcard defaults.
  {
    cat <<EOF
# Generated by scripts/realm.sh for a throwaway test realm. Do not edit.
[kdcdefaults]
    kdc_listen = 127.0.0.1:$kdc_port
    kdc_tcp_listen = 127.0.0.1:$kdc_port

[realms]
    $REALM = {
        database_name = $dir/principal
        key_stash_file = $dir/stash
        acl_file = $dir/kadm5.acl
        kdc_listen = 127.0.0.1:$kdc_port
        kdc_tcp_listen = 127.0.0.1:$kdc_port
EOF
    if ((with_kadmind)); then
      cat <<EOF
        kadmind_listen = 127.0.0.1:$kadmin_port
        kpasswd_listen = 127.0.0.1:$kpasswd_port
EOF
    fi
    cat <<EOF
        max_life = 24h
        max_renewable_life = 7d
    }

[logging]
    kdc = FILE:$dir/kdc.log
    admin_server = FILE:$dir/kadmind.log
    default = FILE:$dir/kdc.log
EOF
  } >"$dir/kdc.conf"
}

# create_db: KDC database, principals, policy, keytabs. One kadmin.local
# session for all the principals (far faster than one process per command);
# since it does not report per-command failures in its exit status, its
# stderr is checked for anything but the expected chatter.
create_db() {
  printf '*/admin@%s *\n' "$REALM" >"$dir/kadm5.acl"
  if ! kdb5_util -r "$REALM" -P "$MASTER_PASS" create -s >"$dir/setup.log" 2>&1; then
    cat "$dir/setup.log" >&2
    die "kdb5_util create failed"
  fi
  local errs
  errs=$(
    kadmin.local -r "$REALM" 2>&1 >>"$dir/setup.log" <<EOF
addprinc -pw $ALICE_PASS +requires_preauth alice
addprinc -pw $BOB_PASS bob
addprinc -pw "$CAROL_PASS" carol
addpol -minlength 12 -minclasses 3 strict
modprinc -policy strict bob
addprinc -pw $DAVE_PASS dave
modprinc -policy strict dave
addprinc -randkey HTTP/localhost
addprinc -randkey host/localhost
addprinc -randkey mongodb/localhost
ktadd -k $dir/service.keytab HTTP/localhost host/localhost mongodb/localhost
ktadd -norandkey -k $dir/other.keytab host/localhost
EOF
  ) || die "kadmin.local failed: $errs"
  errs=$(grep -v -e '^No policy specified for .*; defaulting to no policy$' \
    -e '^Authenticating as principal ' <<<"$errs" || true)
  [[ -z $errs ]] || die "kadmin.local reported errors: $errs"
  [[ -s $dir/service.keytab && -s $dir/other.keytab ]] || die "keytabs were not written"
  chmod 600 "$dir/service.keytab" "$dir/other.keytab"
}

# ---------------------------------------------------------------------------
# Daemons
# ---------------------------------------------------------------------------

# log_tail NAME: show the end of a daemon's logs on stderr.
log_tail() {
  local f
  for f in "$dir/$1.stderr" "$dir/${1#krb5}.log"; do
    [[ -s $f ]] || continue
    log "--- tail of $f ---"
    tail -n 20 "$f" >&2
  done
}

# launch NAME PORT...: start krb5kdc or kadmind (both bind their sockets,
# then daemonize and write the PID file from the child) and wait until the
# PID file names a live, verified process and every given TCP port accepts
# connections. The daemon's stdio never points at our caller's pipes.
# Returns 1 (after showing the logs) if the daemon fails or exits early,
# e.g. because a port was taken since we picked it; dies on a timeout.
launch() {
  local name=$1 pid=""
  shift
  rm -f "$dir/$name.pid"
  if ! "$name" -r "$REALM" -P "$dir/$name.pid" </dev/null >/dev/null 2>>"$dir/$name.stderr"; then
    log_tail "$name"
    log "$name failed to start"
    return 1
  fi
  local deadline port ready
  tick
  deadline=$((NOW + START_TIMEOUT_US))
  while :; do
    ready=1
    if [[ -z $pid ]]; then
      { read -r pid <"$dir/$name.pid"; } 2>/dev/null || pid=""
      if [[ -n $pid ]] && ! is_our_daemon "$pid" "$name"; then
        pid=""
      fi
      [[ -n $pid ]] || ready=0
    elif ! proc_alive "$pid"; then
      log_tail "$name"
      log "$name (pid $pid) exited during start-up"
      return 1
    fi
    if ((ready)); then
      for port; do
        if ! port_open "$port"; then
          ready=0
          break
        fi
      done
    fi
    ((ready)) && break
    tick
    if ((NOW > deadline)); then
      log_tail "$name"
      die "$name did not come up on 127.0.0.1 port(s) $* within 10 s"
    fi
    nap 0.01
  done
  log "$name running (pid $pid) on 127.0.0.1 port(s) $*"
}

# start_daemons: launch what this realm needs; fails if any daemon fails or
# if our ports turn out to be shared.
start_daemons() {
  launch krb5kdc "$kdc_port" || return 1
  if ((with_kadmind)); then
    launch kadmind "$kadmin_port" "$kpasswd_port" || return 1
  fi
  if ! ports_exclusive; then
    log "another daemon shares our ports"
    return 1
  fi
}

# ports_exclusive: each of our ports carries exactly our sockets (see the
# SO_REUSEPORT note at the top).
ports_exclusive() {
  (($(count_sockets tcp "$kdc_port") == 1)) || return 1
  (($(count_sockets udp "$kdc_port") == 1)) || return 1
  if ((with_kadmind)); then
    (($(count_sockets tcp "$kadmin_port") == 1)) || return 1
    (($(count_sockets tcp "$kpasswd_port") == 1)) || return 1
    (($(count_sockets udp "$kpasswd_port") == 1)) || return 1
  fi
}

choose_ports() {
  local ports
  if ((with_kadmind)); then
    ports=$(pick_ports 3) || die "could not pick free ports"
    read -r kdc_port kadmin_port kpasswd_port <<<"$ports"
  else
    kdc_port=$(pick_ports 1) || die "could not pick a free port"
  fi
}

# start_watchdog: detach a process (own session, stdio on /dev/null, cwd /)
# that stops the realm when $watch_pid exits. It records the watched
# process's start time so a recycled PID does not keep it waiting forever.
start_watchdog() {
  local start_time daemons
  start_time=$(proc_starttime "$watch_pid") || die "--watch: no process $watch_pid"
  daemons=$(find_ours | awk '$1 != "watchdog" { printf "%s ", $2 }')
  rm -f "$dir/watchdog.pid"
  (
    cd /
    export WKTEST_WATCHDOG_DIR="$dir"
    # shellcheck disable=SC2086 # $daemons is a list of PIDs
    exec setsid bash "$SCRIPT_PATH" __watch "$dir" "$watch_pid" "$start_time" $daemons \
      </dev/null >/dev/null 2>&1
  ) &
  # Wait for it to announce itself, so that an immediate `stop` finds it.
  local deadline pid=""
  tick
  deadline=$((NOW + 2000000))
  while ((NOW < deadline)); do
    { read -r pid <"$dir/watchdog.pid"; } 2>/dev/null || pid=""
    if [[ -n $pid ]] && is_our_watchdog "$pid"; then
      break
    fi
    pid=""
    nap 0.005
    tick
  done
  [[ -n $pid ]] || die "watchdog did not start"
  log "watchdog running (pid $pid), watching pid $watch_pid"
}

# ---------------------------------------------------------------------------
# Environment lines
# ---------------------------------------------------------------------------

env_lines() {
  cat <<EOF
KRB5_CONFIG=$dir/krb5.conf
KRB5_KDC_PROFILE=$dir/kdc.conf
KRB5CCNAME=FILE:$dir/ccache
KRB5_KTNAME=FILE:$dir/service.keytab
KRB5RCACHEDIR=$dir/rcache
WKTEST_DIR=$dir
WKTEST_REALM=$REALM
WKTEST_KDC_PORT=$kdc_port
EOF
  if ((with_kadmind)); then
    cat <<EOF
WKTEST_KADMIN_PORT=$kadmin_port
WKTEST_KPASSWD_PORT=$kpasswd_port
EOF
  fi
  cat <<EOF
WKTEST_USER=alice@$REALM
WKTEST_PASS=$ALICE_PASS
WKTEST_BOB=bob@$REALM
WKTEST_BOB_PASS=$BOB_PASS
WKTEST_CAROL=carol@$REALM
WKTEST_CAROL_PASS=$CAROL_PASS
WKTEST_DAVE=dave@$REALM
WKTEST_DAVE_PASS=$DAVE_PASS
WKTEST_SERVICE=HTTP@localhost
WKTEST_SPN=HTTP/localhost@$REALM
WKTEST_OTHER_KEYTAB=FILE:$dir/other.keytab
EOF
}

# ---------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------

# set_dir DIR [create]: validate DIR and make $dir its absolute path.
set_dir() {
  local d=$1
  [[ -n $d ]] || usage
  # The paths end up in KRB5_CONFIG (a colon-separated list) and in KEY=VALUE
  # lines promised to be free of whitespace.
  [[ $d != *[[:space:]:]* ]] || die "DIR must not contain whitespace or ':': $d"
  if [[ ${2:-} == create ]]; then
    mkdir -p -- "$d" || die "cannot create $d"
  fi
  [[ -d $d ]] || die "no such directory: $d"
  dir=$(cd -- "$d" && pwd -P)
  [[ $dir != / ]] || die "refusing to use /"
}

cmd_start() {
  local d="" arg
  while (($#)); do
    arg=$1
    shift
    case $arg in
      --watch)
        (($#)) || usage
        watch_pid=$1
        shift
        [[ $watch_pid =~ ^[0-9]+$ ]] || die "--watch needs a PID, got: $watch_pid"
        proc_alive "$watch_pid" || die "--watch: no live process $watch_pid"
        ;;
      --kadmind) with_kadmind=1 ;;
      -*) usage ;;
      *)
        [[ -z $d ]] || usage
        d=$arg
        ;;
    esac
  done
  [[ -n $d ]] || usage

  local tool tools=(krb5kdc kdb5_util kadmin.local kinit)
  ((with_kadmind)) && tools+=(kadmind)
  for tool in "${tools[@]}"; do
    command -v "$tool" >/dev/null ||
      die "$tool not found: install MIT Kerberos first with 'scripts/realm.sh install' (as root)"
  done

  # DIR: nonexistent, empty, or one of ours (then stopped and wiped).
  if [[ -e $d ]]; then
    [[ -d $d ]] || die "$d exists and is not a directory"
    if [[ -e $d/$MARKER ]]; then
      set_dir "$d"
      log "reusing $dir: stopping and wiping the previous realm"
      do_stop
      find "$dir" -mindepth 1 -delete
    elif [[ -n $(ls -A -- "$d") ]]; then
      die "$d is neither empty nor a realm made by realm.sh"
    fi
  fi
  set_dir "$d" create
  # Daemons left over from an earlier realm at the same path (e.g. one whose
  # DIR was deleted without `stop`) would share our database path: stop them.
  do_stop
  : >"$dir/$MARKER"
  mkdir -p "$dir/rcache"

  close_extra_fds

  # Everything below runs against this realm only.
  export KRB5_CONFIG="$dir/krb5.conf" KRB5_KDC_PROFILE="$dir/kdc.conf"
  export KRB5CCNAME="FILE:$dir/ccache" KRB5_KTNAME="FILE:$dir/service.keytab"
  export KRB5RCACHEDIR="$dir/rcache"
  unset KRB5_TRACE KRB5_CLIENT_KTNAME

  # From here on, a failure must not leave daemons behind.
  trap 'rc=$?; if ((rc)); then do_stop 2>/dev/null || true; fi' EXIT

  local t0
  tick
  t0=$NOW
  choose_ports
  write_confs
  create_db

  # A port can be taken between picking and binding it: then retry with new
  # ports (the database does not depend on them).
  local attempt
  for attempt in 1 2 3 4 5; do
    start_daemons && break
    do_stop
    ((attempt < 5)) || die "the daemons did not start (5 attempts); see the logs above"
    log "retrying with new ports (attempt $((attempt + 1)))"
    choose_ports
    write_confs
  done

  if ! printf '%s\n' "$ALICE_PASS" | kinit "alice@$REALM" >"$dir/kinit.log" 2>&1; then
    cat "$dir/kinit.log" >&2
    log_tail krb5kdc
    die "kinit alice failed"
  fi

  env_lines >"$dir/realm.env"
  [[ -n $watch_pid ]] && start_watchdog
  trap - EXIT
  tick
  log "realm $REALM up in $dir ($(((NOW - t0) / 1000)) ms)"
  cat "$dir/realm.env"
}

cmd_stop() {
  (($# == 1)) || usage
  if [[ ! -d $1 ]]; then
    # DIR was deleted before `stop`: daemons can still be found by the
    # absolute path in their command lines.
    [[ $1 == /* ]] || {
      log "no directory $1: nothing to stop"
      return 0
    }
    dir=${1%/}
    do_stop
    return 0
  fi
  set_dir "$1"
  [[ -e $dir/$MARKER ]] || die "$dir is not a realm made by realm.sh"
  do_stop
}

cmd_env() {
  (($# == 1)) || usage
  set_dir "$1"
  [[ -f $dir/realm.env ]] || die "no realm environment in $dir (not started?)"
  cat "$dir/realm.env"
}

cmd_status() {
  (($# == 1)) || usage
  set_dir "$1"
  local out
  out=$(find_ours)
  if [[ -z $out ]]; then
    echo stopped
    return 1
  fi
  printf '%s\n' "$out"
  grep -q '^krb5kdc ' <<<"$out"
}

# The watchdog body: `__watch DIR PID STARTTIME DAEMON_PID...` (internal).
cmd_watch() {
  (($# >= 3)) || usage
  set_dir "$1"
  local wpid=$2 wstart=$3
  shift 3
  local daemons=("$@")
  exec 2>>"$dir/watchdog.log"
  echo "$$" >"$dir/watchdog.pid"
  local p alive
  while :; do
    # The watched process is gone (or a zombie, or its PID was recycled)?
    if ! proc_alive "$wpid" || [[ ${PROC_FIELDS[19]} != "$wstart" ]]; then
      log "watched pid $wpid exited: stopping the realm in $dir"
      do_stop
      rm -f "$dir/watchdog.pid"
      exit 0
    fi
    # Nothing left to guard (stopped by someone else)?
    alive=0
    for p in "${daemons[@]}"; do
      proc_alive "$p" && alive=1
    done
    if ((!alive)); then
      rm -f "$dir/watchdog.pid" 2>/dev/null || true
      exit 0
    fi
    nap 0.2
  done
}

cmd_install() {
  (($# == 0)) || usage
  local p missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed ||
      missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then
    log "already installed: ${PACKAGES[*]}"
    return 0
  fi
  local sudo=()
  if ((EUID != 0)); then
    command -v sudo >/dev/null || die "installing ${missing[*]} needs root"
    sudo=(sudo)
  fi
  # Note: krb5-config (a dependency) creates /etc/krb5.conf in its postinst
  # if absent; this realm never uses that file.
  log "installing ${missing[*]}"
  local apt=(apt-get -o DPkg::Lock::Timeout=600 -q)
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive "${apt[@]}" update >&2
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y \
    --no-install-recommends "${missing[@]}" >&2
}

main() {
  local cmd=${1:-}
  (($#)) && shift
  case $cmd in
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    env) cmd_env "$@" ;;
    status) cmd_status "$@" ;;
    install) cmd_install "$@" ;;
    __watch) cmd_watch "$@" ;;
    *) usage ;;
  esac
}

main "$@"
