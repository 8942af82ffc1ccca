#!/bin/bash
# Builds the appliance's base root file system (Debian packages only, no Clawback) into DIR with
# mmdebstrap, using this machine's own apt sources file as the mirror (its suite swapped for
# SUITE). Cached by the build: rebuilt only when this file changes. Run as root.
#   packer/base-rootfs.sh DIR [SUITE]
set -euo pipefail
dir=$1
suite=${2:-trixie}
here=$(cd "$(dirname "$0")" && pwd)

# apt's own sources (deb822), pointed at the image's suite: the same mirror this host uses.
sources=$(mktemp)
trap 'rm -f "$sources"' EXIT
src=/etc/apt/sources.list.d/debian.sources
[ -f "$src" ] || { echo "no $src: give a deb822 sources file" >&2; exit 2; }
host_suite=$(. /etc/os-release && echo "$VERSION_CODENAME")
sed "s/\b${host_suite}\b/${suite}/g" "$src" > "$sources"

packages=(
  # boot: kernel, initramfs (zstd), systemd-boot's EFI loader (copied to the ESP by the build)
  linux-image-amd64 initramfs-tools zstd systemd-boot-efi
  # the OS: systemd as init, udev, D-Bus (hostnamectl), networkd + resolved, timesyncd, journald
  systemd-sysv udev dbus systemd-resolved systemd-timesyncd kmod iproute2 netbase procps less
  # syslog forwarding (host settings): rsyslog with the TLS stream driver
  rsyslog rsyslog-gnutls ca-certificates openssl
  # the database: PostgreSQL 17 from Debian (the cluster is created at first boot)
  postgresql-17
  # ESXi integration (guestinfo, clean shutdown, IP reporting)
  open-vm-tools
)

# Only virtio (qemu) and VMware's controllers and NICs in the initramfs: a 7 MB initrd, not 40.
modules='virtio_pci virtio_blk virtio_scsi virtio_net vmw_pvscsi mptspi mptsas ahci ata_piix sd_mod ext4 vmxnet3 qemu_fw_cfg'

nice -n 10 mmdebstrap --variant=apt --include="$(IFS=,; echo "${packages[*]}")" \
  --customize-hook='set -e
    printf "%s\n" '"$modules"' > "$1/etc/initramfs-tools/modules"
    printf "MODULES=list\nCOMPRESS=zstd\n" > "$1/etc/initramfs-tools/conf.d/clawback.conf"
    chroot "$1" update-initramfs -u -k all
    # the cluster is initialised at first boot, sized for the VM it runs on
    chroot "$1" pg_dropcluster 17 main || true
    chroot "$1" adduser --system --group --home /var/lib/clawback --no-create-home --shell /usr/sbin/nologin clawback
    rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin "$1"/var/cache/apt/archives/*.deb' \
  "$suite" "$dir" "$sources"
