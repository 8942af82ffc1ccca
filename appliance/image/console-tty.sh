#!/bin/bash
# The appliance's text console on tty1 (clawback-tty.service): what VMware's console shows.
# Status at a glance, and a small menu to recover without SSH. Never offers a shell.
REL=/opt/clawback/current
NODE=$REL/bin/node
STATE=/var/lib/clawback-firstboot
trap '' INT TSTP QUIT
ctl() { runuser -u clawback -- env CLAWBACK_PRIVILEGED=systemd "$NODE" "$REL/appliance/bin/clawbackctl.ts" "$@"; }
addresses() { ip -4 -o addr show scope global 2>/dev/null | awk '{ split($4, a, "/"); print a[1] }'; }

status() {
  clear
  local version host
  version=$(basename "$(readlink "$REL")")
  host=$(hostname)
  echo "Clawback ${version} on ${host}"
  echo
  for ip in $(addresses); do
    echo "  Analyst UI and API:   https://${ip}/"
    echo "  Management console:   https://${ip}:8443/"
  done
  [ -n "$(addresses)" ] || echo "  No IPv4 address yet (DHCP pending?): choose 2 to set one."
  echo
  if [ ! -e "$STATE/done" ]; then
    if systemctl -q is-failed clawback-firstboot.service; then
      echo "  First boot did not finish (it is retried at the next boot): choose 6 to reboot."
    else
      echo "  First boot is still running (its progress is on this console)."
    fi
  fi
  for u in postgresql@17-main clawback-api clawback-worker clawback-console; do
    printf '  %-22s %s\n' "$u" "$(systemctl is-active "$u.service" 2>/dev/null)"
  done
  if [ -e "$STATE/admin-password.show" ] && [ -s "$STATE/admin-password" ]; then
    echo
    echo "  One-time password of user admin: $(cat "$STATE/admin-password")"
    echo "  (you must change it at the first sign-in; choose 5 to hide it)"
  fi
  echo
  echo "  1) Refresh   2) Network settings   3) Reset admin password   4) clawbackctl"
  echo "  5) Hide the one-time password      6) Reboot   7) Power off"
}

network() {
  echo "Current settings:"; ctl system show; echo
  read -r -p "Host name (empty: keep): " h
  read -r -p "IPv4 'dhcp' or ADDRESS/PREFIX (empty: keep): " a
  local args=()
  [ -n "$h" ] && args+=(--hostname "$h")
  if [ -n "$a" ]; then
    args+=(--ipv4 "$a")
    if [ "$a" != dhcp ]; then read -r -p "Gateway: " g; [ -n "$g" ] && args+=(--gateway4 "$g"); fi
    read -r -p "DNS servers, comma-separated (empty: keep): " d; [ -n "$d" ] && args+=(--dns "$d")
  fi
  read -r -p "NTP servers, comma-separated (empty: keep): " n; [ -n "$n" ] && args+=(--ntp "$n")
  [ ${#args[@]} -gt 0 ] && ctl system set "${args[@]}"
}

reset_admin() {
  local p1 p2
  read -r -s -p "New password for admin (12+ characters): " p1; echo
  read -r -s -p "Repeat: " p2; echo
  if [ "$p1" != "$p2" ]; then echo "The passwords differ."; return; fi
  printf '%s' "$p1" | ctl user reset-password admin --must-change-password
}

run_ctl() {
  # the usage is on stderr
  ctl --help 2>&1 | sed -n '1,60p'
  local line
  read -r -p "clawbackctl " line
  # words only: no shell expansion of what is typed here
  read -r -a words <<< "$line"
  [ ${#words[@]} -gt 0 ] && ctl "${words[@]}"
}

while true; do
  status
  read -r -t 30 -p "> " choice || continue
  case "$choice" in
    2) network ;;
    3) reset_admin ;;
    4) run_ctl ;;
    5) rm -f "$STATE/admin-password.show" "$STATE/admin-password" ;;
    6) systemctl reboot ;;
    7) systemctl poweroff ;;
    *) continue ;;
  esac
  read -r -p "Press Enter to continue. " _
done
