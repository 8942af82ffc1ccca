#!/bin/bash
# The boot test's guest agent (clawback-test-agent.service, root). Runs ONLY when qemu passes the
# fw_cfg file opt/clawback/test-agent (the unit's condition): never on ESXi, never on a VM
# imported from the OVA. It reads one request per line from the second serial port (ttyS1, a Unix
# socket on the host) and answers with the output framed as
#   @@BEGIN <id>  ...output...  @@END <id> <exit status>
# Requests are a fixed list of verbs, not a shell: `ctl ARGS` runs clawbackctl as user clawback
# exactly like the tty1 menu (packer/README.md) — the rest only read the guest's state back.
#   <id> ctl ARGS...    | <id> host-settings | <id> units | <id> memory | <id> version | <id> journal UNIT
#   <id> tty-serial: the tty1 console (clawback-tty.service, the product's own unit file) started a
#   second time on the third serial port (ttyS2), its TTYPath the only line changed, so the test
#   reads the screen and types into the menu as an operator does on VMware's console
set -uo pipefail
PORT=${CLAWBACK_TEST_AGENT_PORT:-/dev/ttyS1}
REL=/opt/clawback/current
UNITS=(clawback-api.service clawback-worker.service clawback-console.service clawback-firstboot.service
  clawback-privileged.service clawback-privileged.path clawback-tty.service clawback-test-agent.service clawback.target)
SERVICES=(clawback-api clawback-worker clawback-console postgresql@17-main clawback-tty systemd-journald
  systemd-networkd systemd-resolved systemd-timesyncd rsyslog dbus vmtoolsd)

# The root helper waits for the api role's /readyz after an upgrade; 60 s is plenty on ESXi but
# not under qemu's emulation (the boot test), so only here it is given more (a volatile drop-in).
mkdir -p /run/systemd/system/clawback-privileged.service.d
printf '[Service]\nEnvironment=CLAWBACK_UPGRADE_READY_TIMEOUT_S=%s\n' "${CLAWBACK_TEST_READY_TIMEOUT_S:-900}" \
  > /run/systemd/system/clawback-privileged.service.d/50-test-agent.conf
systemctl daemon-reload

ctl() { runuser -u clawback -- env CLAWBACK_PRIVILEGED=systemd "$REL/bin/node" "$REL/appliance/bin/clawbackctl.ts" "$@"; }

host_settings() {
  echo '## hostnamectl'; hostnamectl --static; hostname
  echo '## networkctl'; networkctl --no-pager status 2>&1 | sed -n '1,40p'
  echo '## ip'; ip -4 -o addr show scope global; ip -4 route show default
  echo '## 10-clawback.network'; cat /etc/systemd/network/10-clawback.network
  echo '## timedatectl show-timesync'; timedatectl show-timesync --all 2>&1
  echo '## rsyslog forward'; cat /etc/rsyslog.d/60-clawback-forward.conf 2>&1
  echo '## rsyslogd -N1'; rsyslogd -N1 2>&1; echo "rsyslogd -N1 exit $?"
  echo '## kernel.panic'; sysctl -n kernel.panic
  echo '## cmdline'; cat /proc/cmdline
  echo '## postgresql checkpoints'
  runuser -u postgres -- psql -XtA -d clawback -c "SELECT name || '=' || setting || coalesce(unit, '') FROM pg_settings WHERE name IN ('max_wal_size', 'checkpoint_timeout') ORDER BY name" 2>&1
  echo '## linker checks foreign keys in sets'
  runuser -u postgres -- psql -XtA -d clawback -c "SELECT has_parameter_privilege('clawback', 'session_replication_role', 'SET')" 2>&1
}

units() {
  local u
  echo '## systemd-analyze verify'
  for u in "${UNITS[@]}"; do
    out=$(systemd-analyze verify "/etc/systemd/system/$u" 2>&1)
    echo "verify $u exit $? ${out//$'\n'/ | }"
  done
  echo '## systemd-analyze security'
  for u in "${UNITS[@]}"; do
    case "$u" in *.service) ;; *) continue ;; esac
    echo "security $u $(systemd-analyze security --no-pager "$u" 2>&1 | tail -1)"
  done
}

memory() {
  local s cg p kib rss
  echo '## free -m'; free -m
  echo '## per service: MemoryCurrent (cgroup, page cache included) and the sum of its processes RSS'
  for s in "${SERVICES[@]}"; do
    cg=$(systemctl show -p ControlGroup --value "$s.service" 2>/dev/null)
    [ -n "$cg" ] || { echo "service $s not running"; continue; }
    rss=0
    for p in $(cat "/sys/fs/cgroup$cg/cgroup.procs" 2>/dev/null); do
      kib=$(awk '/VmRSS/ { print $2 }' "/proc/$p/status" 2>/dev/null)
      rss=$(( rss + ${kib:-0} ))
    done
    echo "service $s memory_current=$(systemctl show -p MemoryCurrent --value "$s.service" 2>/dev/null) rss_kib=$rss"
  done
}

exec 3<>"$PORT"
stty -F "$PORT" raw -echo 115200 2>/dev/null
echo "@@READY" >&3
while IFS= read -r line <&3; do
  line=${line%$'\r'}
  read -r -a w <<< "$line"
  [ ${#w[@]} -ge 2 ] || continue
  id=${w[0]}
  verb=${w[1]}
  echo "@@BEGIN $id" >&3
  case "$verb" in
    ctl) ctl "${w[@]:2}" </dev/null >&3 2>&1 ;;
    host-settings) host_settings >&3 2>&1 ;;
    units) units >&3 2>&1 ;;
    memory) memory >&3 2>&1 ;;
    version) { readlink /opt/clawback/current; systemctl is-active clawback-api clawback-worker clawback-console || true; } >&3 2>&1 ;;
    # per role: systemd's restart count, and how many times a process died on a signal this boot
    restarts) for u in clawback-api clawback-worker clawback-console; do
        echo "$u restarts=$(systemctl show -p NRestarts --value "$u.service") signals=$(journalctl --no-pager -b -u "$u.service" -g 'process exited, code=killed' -q 2>/dev/null | wc -l)"
        journalctl --no-pager -b -u "$u.service" -g 'Check failed|Fatal error|FATAL' -q -o cat 2>/dev/null | sort | uniq -c | head -3
      done >&3 2>&1 ;;
    tty-serial) sed 's|^TTYPath=/dev/tty1$|TTYPath=/dev/ttyS2|' /etc/systemd/system/clawback-tty.service \
        > /run/systemd/system/clawback-tty-serial.service \
        && grep -q '^TTYPath=/dev/ttyS2$' /run/systemd/system/clawback-tty-serial.service \
        && systemctl daemon-reload && systemctl restart clawback-tty-serial.service \
        && systemctl is-active clawback-tty-serial.service >&3 2>&1 ;;
    journal) journalctl --no-pager -n 80 -u "${w[2]:-clawback-privileged}.service" >&3 2>&1 ;;
    *) echo "unknown verb $verb" >&3; false ;;
  esac
  echo "@@END $id $?" >&3
done
