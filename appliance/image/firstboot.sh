#!/bin/bash
# Clawback first boot (clawback-firstboot.service, root). Every step checks what is already done,
# so a reboot half-way through simply runs it again and it finishes; the last step writes
# /var/lib/clawback-firstboot/done, after which the unit's condition skips it for good.
#  1. OVF properties (VMware guestinfo.ovfEnv; qemu fw_cfg opt/clawback/ovfenv; else none): host
#     name, static IPv4 or DHCP, DNS, NTP, admin password — through the console's host-settings code
#  2. PostgreSQL 17 cluster: created now (local socket + loopback only), sized for this VM
#  3. database role + database, password in /etc/clawback/clawback.conf (root:clawback 0640)
#  4. migrations and the master secret (clawbackctl migrate, as user clawback)
#  5. the admin user with a one-time password (given, or generated and shown on tty1)
# The TLS certificate is self-signed by the api/console roles at their first start.
set -euo pipefail
umask 077
REL=/opt/clawback/current
NODE=$REL/bin/node
STATE=/var/lib/clawback-firstboot
CONF=/etc/clawback/clawback.conf
PGV=17
say() { echo "clawback first boot: $*"; }
# A step's marker is written only once what the step wrote is on disk, and is itself synced: after
# a power cut half-way (the boot test kills qemu), files written without fsync (pg_createcluster's
# pg_hba.conf) came back empty while the marker said the step was done, and PostgreSQL never started.
mark() { sync; touch "$STATE/$1"; sync; }
ctl() { runuser -u clawback -- "$NODE" "$REL/appliance/bin/clawbackctl.ts" "$@"; }
mkdir -p -m 0700 "$STATE"

# 1. OVF properties -------------------------------------------------------------------------------
ovf_environment() {
  if [ "$(systemd-detect-virt || true)" = vmware ] && command -v vmware-rpctool >/dev/null; then
    vmware-rpctool 'info-get guestinfo.ovfEnv' 2>/dev/null || true
    return
  fi
  modprobe qemu_fw_cfg 2>/dev/null || true
  local f=/sys/firmware/qemu_fw_cfg/by_name/opt/clawback/ovfenv/raw
  if [ -r "$f" ]; then cat "$f"; fi
}
if [ ! -e "$STATE/properties-applied" ]; then
  say "reading OVF properties"
  ovf_environment | "$NODE" "$REL/appliance/bin/firstboot-properties.ts" --password-file "$STATE/admin-password.given" \
    || say "host settings could not be applied (see above); continuing with what the image has"
  mark properties-applied
fi

# 2. PostgreSQL cluster ---------------------------------------------------------------------------
if [ ! -e "$STATE/cluster-created" ]; then
  # a cluster left by an interrupted first boot is incomplete: start over (it holds no data yet)
  if [ -d "/etc/postgresql/$PGV/main" ]; then pg_dropcluster --stop "$PGV" main || true; fi
  say "creating the PostgreSQL $PGV cluster"
  pg_createcluster --locale C.UTF-8 "$PGV" main -- --auth-local=peer --auth-host=scram-sha-256 >/dev/null
  mem_mb=$(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo)
  # WAL between checkpoints: a tenth of the data file system, 1 to 4 GB (embedded.ts explains why)
  fs_mb=$(df -Pm /var/lib/postgresql | awk 'NR == 2 { print $2 }')
  wal_mb=$(( fs_mb / 10 )); wal_mb=$(( wal_mb < 1024 ? 1024 : wal_mb > 4096 ? 4096 : wal_mb ))
  # sized for this VM: 1/8 of memory for shared buffers (at least 128 MB), planner told 1/2 is cache
  cat > "/etc/postgresql/$PGV/main/conf.d/clawback.conf" <<CONF
# written by Clawback's first boot for a VM with ${mem_mb} MB of memory
listen_addresses = 'localhost'
shared_buffers = $(( mem_mb / 8 > 128 ? mem_mb / 8 : 128 ))MB
effective_cache_size = $(( mem_mb / 2 ))MB
maintenance_work_mem = $(( mem_mb / 16 > 64 ? mem_mb / 16 : 64 ))MB
work_mem = 8MB
max_connections = 100
# checkpoints spaced for intake (~17 KB of WAL per alert): fewer full-page images after each one
max_wal_size = ${wal_mb}MB
checkpoint_timeout = 15min
CONF
  chown postgres:postgres "/etc/postgresql/$PGV/main/conf.d/clawback.conf"
  # The roles connect over the Unix socket with the role's password (cheaper than loopback TCP per
  # message, test/bench/pg-socket.ts); first of all lines, before the cluster's own peer rule, so
  # clawbackctl run as root authenticates like the services running as clawback.
  sed -i '1i local clawback clawback scram-sha-256' "/etc/postgresql/$PGV/main/pg_hba.conf"
  mark cluster-created
fi
systemctl start "postgresql@$PGV-main.service"

# 3. role, database, configuration -----------------------------------------------------------------
if [ ! -s "$STATE/db-password" ]; then openssl rand -hex 24 > "$STATE/db-password"; fi
dbpw=$(cat "$STATE/db-password")
runuser -u postgres -- psql -q -v ON_ERROR_STOP=1 -v pw="$dbpw" <<'SQL'
SELECT 'CREATE ROLE clawback LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'clawback') \gexec
ALTER ROLE clawback PASSWORD :'pw';
SELECT 'CREATE DATABASE clawback OWNER clawback' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'clawback') \gexec
-- the intake linker checks its foreign keys in sets under this switch (migration 0017)
GRANT SET ON PARAMETER session_replication_role TO clawback;
SQL
install -d -o root -g clawback -m 0750 /etc/clawback
tmp=$(mktemp /etc/clawback/.clawback.conf.XXXXXX)
cat > "$tmp" <<CONF
# written by Clawback's first boot; read by every role and by clawbackctl
DATABASE_URL=postgres://clawback:${dbpw}@127.0.0.1:5432/clawback?host=/var/run/postgresql
CLAWBACK_DATA_DIR=/var/lib/clawback
# every address (IPv4 and IPv6): the default is loopback, which fits a checkout, not an appliance
HOST=::
PORT=443
CONSOLE_PORT=8443
CLAWBACK_TLS=true
CONF
chown root:clawback "$tmp" && chmod 0640 "$tmp" && mv "$tmp" "$CONF"
install -d -o clawback -g clawback -m 0750 /var/lib/clawback

# 4. schema and master secret ----------------------------------------------------------------------
say "applying database migrations"
ctl migrate >/dev/null

# 5. admin user ------------------------------------------------------------------------------------
if [ ! -s "$STATE/admin-password" ]; then
  if [ -s "$STATE/admin-password.given" ]; then
    cp "$STATE/admin-password.given" "$STATE/admin-password"
  else
    # generated: shown on the VM console (tty1) until it is changed at first sign-in
    openssl rand -base64 18 | tr -d '/+=\n' | head -c 20 > "$STATE/admin-password"
    touch "$STATE/admin-password.show"
  fi
fi
rm -f "$STATE/admin-password.given"
if ! ctl user create admin --team Admins --must-change-password < "$STATE/admin-password" 2>/dev/null; then
  ctl user reset-password admin --must-change-password < "$STATE/admin-password" >/dev/null
fi
[ -e "$STATE/admin-password.show" ] || rm -f "$STATE/admin-password"

mark done
say "done; starting Clawback"
# The roles' start jobs were queued at boot, ordered after this unit. When an earlier attempt of it
# failed (node has died under emulation), those jobs already ran and were skipped on their
# condition (no done file yet), and this successful retry would leave the appliance without its
# services until the next reboot (a CI boot test sat idle so): start them again. --no-block: the
# jobs wait for this unit to finish (After=), so they must not be waited for here.
systemctl --no-block start clawback.target
