#!/usr/bin/env bash
# heimdal-kdc.sh - a throwaway Heimdal KDC on 127.0.0.1, beside the MIT one of the tests.
#
#   scripts/heimdal-kdc.sh install          # unpack Heimdal's KDC into .heimdal/ (setup.sh)
#   scripts/heimdal-kdc.sh up DIR PORT      # realm HEIM.LOCAL in DIR, KDC on 127.0.0.1:PORT
#   scripts/heimdal-kdc.sh down DIR         # stop it
#
# Debian's heimdal-kdc and heimdal-clients packages conflict with MIT's krb5-kdc and
# krb5-user, which the tests need, so they are never installed: their .deb files are unpacked
# with dpkg-deb into the gitignored .heimdal/ folder of this checkout and run from there. The
# Heimdal *libraries* they load install beside MIT's (setup.sh installs them with apt).
#
# `up` creates alice@HEIM.LOCAL (password alice-heim-pw-1), HTTP/localhost and host/localhost
# (keys in DIR/service.keytab), starts the KDC and prints KEY=VALUE lines:
# KRB5_CONFIG, KRB5_KTNAME, KRB5RCACHEDIR, HEIM_REALM, HEIM_USER, HEIM_PASS, HEIM_KDC_PID.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
heimdal=${WINKERBEROS_HEIMDAL_ROOT:-$root/.heimdal/root}
realm=HEIM.LOCAL

log() { echo "heimdal-kdc.sh: $*" >&2; }

install() {
  [[ -x $heimdal/usr/lib/heimdal-servers/kdc && -x $heimdal/usr/bin/kadmin.heimdal ]] && return 0
  local debs
  debs=$(mktemp -d)
  # apt-get download writes as the _apt user when it can: let it.
  chmod 0755 "$debs"
  (cd "$debs" && apt-get download -q heimdal-kdc heimdal-clients >&2)
  mkdir -p "$heimdal"
  for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$heimdal"; done
  rm -rf "$debs"
  log "unpacked Heimdal's KDC into $heimdal"
}

up() {
  local dir=$1 port=$2
  [[ -x $heimdal/usr/lib/heimdal-servers/kdc ]] || {
    log "Heimdal's KDC is not unpacked: run '$0 install' (scripts/setup.sh does)"
    exit 1
  }
  mkdir -p "$dir/rcache"
  dir=$(cd "$dir" && pwd)
  cat >"$dir/krb5.conf" <<EOF
[libdefaults]
    default_realm = $realm
    dns_lookup_kdc = false
    dns_lookup_realm = false
    dns_canonicalize_hostname = false
    rdns = false
    udp_preference_limit = 1
[realms]
    $realm = {
        kdc = 127.0.0.1:$port
    }
[domain_realm]
    localhost = $realm
[kdc]
    database = {
        dbname = $dir/heimdal
        realm = $realm
        mkey_file = $dir/m-key
        acl_file = $dir/kadmind.acl
        log_file = $dir/kdc-db.log
    }
[logging]
    kdc = FILE:$dir/kdc.log
    default = FILE:$dir/heimdal.log
EOF
  : >"$dir/kadmind.acl"
  local kadmin=("$heimdal/usr/bin/kadmin.heimdal" -l -c "$dir/krb5.conf")
  {
    "$heimdal/usr/sbin/kstash" --random-key --key-file="$dir/m-key"
    "${kadmin[@]}" init --realm-max-ticket-life=1d --realm-max-renewable-life=7d "$realm"
    "${kadmin[@]}" add --password=alice-heim-pw-1 --use-defaults alice
    "${kadmin[@]}" add --random-key --use-defaults HTTP/localhost
    "${kadmin[@]}" add --random-key --use-defaults host/localhost
    "${kadmin[@]}" ext_keytab -k "$dir/service.keytab" HTTP/localhost host/localhost
  } >"$dir/setup.log" 2>&1 || { cat "$dir/setup.log" >&2; exit 1; }
  "$heimdal/usr/lib/heimdal-servers/kdc" --config-file="$dir/krb5.conf" \
    --addresses=127.0.0.1 --ports="$port" >"$dir/kdc.out" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$dir/kdc.pid"
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || { cat "$dir/kdc.out" >&2; exit 1; }
    sleep 0.05
  done
  cat <<EOF
KRB5_CONFIG=$dir/krb5.conf
KRB5_KTNAME=FILE:$dir/service.keytab
KRB5RCACHEDIR=$dir/rcache
HEIM_REALM=$realm
HEIM_USER=alice@$realm
HEIM_PASS=alice-heim-pw-1
HEIM_KDC_PID=$pid
EOF
}

down() {
  local dir=$1 pid
  pid=$(cat "$dir/kdc.pid" 2>/dev/null) || return 0
  # Only our KDC: the pid must still run Heimdal's kdc with this directory's config.
  if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "--config-file=$dir/krb5.conf"; then
    kill "$pid"
  fi
  rm -f "$dir/kdc.pid"
}

case ${1:-} in
install) install ;;
up) [[ $# -eq 3 ]] || { sed -n '2,16p' "$0" >&2; exit 2; }; up "$2" "$3" ;;
down) [[ $# -eq 2 ]] || { sed -n '2,16p' "$0" >&2; exit 2; }; down "$2" ;;
*) sed -n '2,16p' "$0" >&2; exit 2 ;;
esac
