#!/bin/bash
# Makes an installed release the appliance's running one and sets up the OS around it, for both
# builds: the local one on a root directory (packer/build-local.sh: ROOT = the image's tree,
# nothing is started) and the vSphere one on the build VM itself (ROOT = /).
#   install-release.sh ROOT VERSION      (the release is already in ROOT/opt/clawback/releases/VERSION)
set -euo pipefail
root=$1
version=$2
rel=$root/opt/clawback/releases/$version
[ -x "$rel/bin/node" ] || { echo "no release at $rel" >&2; exit 2; }
ln -sfn "releases/$version" "$root/opt/clawback/current"
# the release is root's: the roles (user clawback) can read it and never change it
chown -R root:root "$root/opt/clawback"
chmod -R go-w "$root/opt/clawback"
grep -q '^clawback:' "$root/etc/passwd" ||
  useradd --root "$root" --system --user-group --home-dir /var/lib/clawback --no-create-home \
    --shell /usr/sbin/nologin clawback
uid=$(awk -F: '$1 == "clawback" { print $3 }' "$root/etc/passwd")
gid=$(awk -F: '$1 == "clawback" { print $3 }' "$root/etc/group")
install -d -o root -g "$gid" -m 0750 "$root/etc/clawback"
install -d -o "$uid" -g "$gid" -m 0750 "$root/var/lib/clawback"
# the console's requests to the root helper (clawback-privileged.path watches it): the console's own
install -d -o "$uid" -g "$gid" -m 0700 "$root/var/lib/clawback/ops" "$root/var/lib/clawback/ops/requests"
# the drop-in directories the host-settings helper writes (appliance/README.md, "Host settings")
install -d -m 0755 "$root/etc/systemd/network" "$root/etc/systemd/timesyncd.conf.d" "$root/etc/rsyslog.d"
# units come from the release
cp "$rel"/systemd/*.service "$rel"/systemd/*.path "$rel"/systemd/*.target "$root/etc/systemd/system/"
# systemd-networkd with DHCP on the first Ethernet NIC until first boot or the console says otherwise
if [ ! -e "$root/etc/systemd/network/10-clawback.network" ]; then
  printf '[Match]\nName=en*\n\n[Network]\nDHCP=yes\n' > "$root/etc/systemd/network/10-clawback.network"
fi
# "online" = one link is up with an address; the default waits for EVERY link to finish
# configuring (DHCPv6 included) and, on networks without it, holds the roles back for 2 minutes
install -d "$root/etc/systemd/system/systemd-networkd-wait-online.service.d"
printf '[Service]\nExecStart=\nExecStart=/usr/lib/systemd/systemd-networkd-wait-online --any --timeout=30\n' \
  > "$root/etc/systemd/system/systemd-networkd-wait-online.service.d/clawback.conf"
# ifupdown must not manage the NIC (networkd does)
rm -f "$root/etc/network/interfaces.d/"* 2>/dev/null || true
echo clawback > "$root/etc/hostname"
# a kernel panic reboots the VM after 10 s instead of leaving it still until someone power-cycles
# it (packer/README.md: the boot test has seen the guest kernel panic under emulation)
install -d -m 0755 "$root/etc/sysctl.d"
printf 'kernel.panic = 10\n' > "$root/etc/sysctl.d/60-clawback.conf"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tclawback\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' > "$root/etc/hosts"
ln -sfn /run/systemd/resolve/stub-resolv.conf "$root/etc/resolv.conf"
systemctl --root="$root" enable systemd-networkd.service systemd-resolved.service systemd-timesyncd.service \
  rsyslog.service clawback-firstboot.service clawback.target clawback-tty.service \
  clawback-test-agent.service
# tty1 shows the Clawback console menu instead of a login prompt
systemctl --root="$root" mask getty@tty1.service
# and no login prompt on a serial console either (qemu has one; root is locked anyway)
systemctl --root="$root" mask serial-getty@ttyS0.service
# every VM imported from the OVA is a new machine: a new machine-id at its first boot
: > "$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"
# no password login at all; there is no SSH server in the image
passwd --root "$root" -l root >/dev/null
