#!/bin/bash
# The local appliance build (no vCenter, no internet beyond the package registries), as root:
#   npm run build:ova -- --key SIGNING.pem [--version V] [--out DIR]     (DIR default: var/appliance)
#   npm run build:ova -- --keygen ...                                      (a throwaway key, for tests)
# 1. stage the release (packer/stage-release.sh) and sign it as an IMG (npm run build:img --from)
# 2. base root file system from Debian packages (packer/base-rootfs.sh, mmdebstrap; cached)
# 3. install the release FROM THE IMG (verified with its key), units, first boot, tty console
# 4. EFI disk image without loop devices or mounts: ESP by mkfs.vfat + mtools (systemd-boot),
#    root by mkfs.ext4 -d, partition table by sfdisk, assembled with dd
# 5. stream-optimised VMDK (lsilogic, hardware version 14 = ESXi 6.7+), OVF, SHA-256 manifest, OVA
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
node=$repo/node_modules/.bin/node
out=$repo/var/appliance
key=
keygen=
version=
suite=${CLAWBACK_IMAGE_SUITE:-trixie}
disk_gib=${CLAWBACK_DISK_GIB:-20}
while [ $# -gt 0 ]; do
  case "$1" in
    --key) key=$2; shift 2 ;;
    --keygen) keygen=1; shift ;;
    --version) version=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "run as root (mmdebstrap, file ownership in the image)" >&2; exit 2; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
if [ -n "$keygen" ] && [ -z "$key" ]; then
  rm -rf "$out/keys"
  "$node" "$repo/appliance/bin/build-img.ts" --keygen "$out/keys" >/dev/null
  key=$out/keys/img-signing.pem
fi
[ -n "$key" ] || { echo "give --key SIGNING.pem (or --keygen for a throwaway key)" >&2; exit 2; }
version=${version:-$("$node" -p "require('$repo/package.json').version")}
t0=$(date +%s)
step() { echo "== $(( $(date +%s) - t0 ))s $*"; }

step "stage release $version"
"$repo/packer/stage-release.sh" "$out/stage" >/dev/null
img=$out/clawback-$version.img
"$node" "$repo/appliance/bin/build-img.ts" --from "$out/stage" --key "$key" --version "$version" --out "$img"

base_id=$(sha256sum "$repo/packer/base-rootfs.sh" | cut -c1-16)-$suite
if [ ! -e "$out/base-$base_id/.complete" ]; then
  step "base root file system ($suite, mmdebstrap)"
  rm -rf "$out"/base-*
  "$repo/packer/base-rootfs.sh" "$out/base-$base_id.tmp" "$suite"
  mv "$out/base-$base_id.tmp" "$out/base-$base_id"
  touch "$out/base-$base_id/.complete"
else
  step "base root file system: cached ($out/base-$base_id)"
fi

step "root file system with the release"
root=$out/rootfs
rm -rf "$root"
cp -a "$out/base-$base_id" "$root"
rm -f "$root/.complete"
rel=$root/opt/clawback/releases/$version
mkdir -p "$rel"
# the release is the IMG's content, checked against the signing key's public half like an upgrade
pub=$out/img-signing.pub
"$node" -e "const c=require('node:crypto');process.stdout.write(c.createPublicKey(require('node:fs').readFileSync(process.argv[1])).export({type:'spki',format:'pem'}))" "$key" > "$pub"
"$node" --input-type=module -e "
  const { readImg } = await import('$repo/appliance/src/upgrade/img-format.ts')
  const { readFileSync } = await import('node:fs')
  readImg(process.argv[1], readFileSync(process.argv[2], 'utf8'), process.argv[3])" "$img" "$pub" "$rel"
"$rel/appliance/image/install-release.sh" "$root" "$version" > "$out/install-release.log" 2>&1 || { cat "$out/install-release.log"; exit 1; }

step "EFI disk image (no loop devices, no mounts)"
part_uuid=$(cat /proc/sys/kernel/random/uuid)
fs_uuid=$(cat /proc/sys/kernel/random/uuid)
echo "PARTUUID=$part_uuid / ext4 errors=remount-ro 0 1" > "$root/etc/fstab"
esp=$out/esp.img
rootimg=$out/root.img
raw=$out/clawback-$version.raw
rm -f "$esp" "$rootimg" "$raw"
kernel=$(ls "$root"/boot/vmlinuz-* | sort -V | tail -1)
initrd=$(ls "$root"/boot/initrd.img-* | sort -V | tail -1)
esp_mib=128
mkfs.vfat -n CLAWBACKESP -C "$esp" $(( esp_mib * 1024 )) >/dev/null
export MTOOLS_SKIP_CHECK=1
mmd -i "$esp" ::/EFI ::/EFI/BOOT ::/loader ::/loader/entries
mcopy -i "$esp" "$root/usr/lib/systemd/boot/efi/systemd-bootx64.efi" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$esp" "$kernel" ::/vmlinuz
mcopy -i "$esp" "$initrd" ::/initrd.img
printf 'default clawback.conf\ntimeout 0\neditor no\n' > "$out/loader.conf"
printf 'title Clawback %s\nlinux /vmlinuz\ninitrd /initrd.img\noptions root=PARTUUID=%s ro quiet panic=10 console=tty0 console=ttyS0,115200\n' \
  "$version" "$part_uuid" > "$out/clawback.conf"
mcopy -i "$esp" "$out/loader.conf" ::/loader/loader.conf
mcopy -i "$esp" "$out/clawback.conf" ::/loader/entries/clawback.conf
root_mib=$(( disk_gib * 1024 - esp_mib - 2 ))
truncate -s "${root_mib}M" "$rootimg"
mkfs.ext4 -q -L clawback-root -U "$fs_uuid" -d "$root" "$rootimg"
truncate -s "$(( disk_gib * 1024 ))M" "$raw"
sfdisk -q "$raw" <<PT
label: gpt
start=1MiB, size=${esp_mib}MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="EFI"
start=$(( 1 + esp_mib ))MiB, size=${root_mib}MiB, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, uuid=$part_uuid, name="root"
PT
dd if="$esp" of="$raw" bs=1M seek=1 conv=notrunc,sparse status=none
dd if="$rootimg" of="$raw" bs=1M seek=$(( 1 + esp_mib )) conv=notrunc,sparse status=none
rm -f "$esp" "$rootimg"

step "stream-optimised VMDK"
vmdk=$out/clawback-$version-disk1.vmdk
nice -n 10 qemu-img convert -f raw -O vmdk \
  -o subformat=streamOptimized,adapter_type=lsilogic,hwversion=14 "$raw" "$vmdk"

step "OVF, manifest, OVA"
ovf=$out/clawback-$version.ovf
"$node" "$repo/packer/write-ovf.ts" --version "$version" --vmdk "$vmdk" --capacity "$(( disk_gib * 1024 * 1024 * 1024 ))" --out "$ovf"
mf=$out/clawback-$version.mf
(cd "$out" && for f in "$(basename "$ovf")" "$(basename "$vmdk")"; do
  echo "SHA256($f)= $(sha256sum "$f" | cut -d' ' -f1)"
done) > "$mf"
ova=$out/clawback-$version.ova
# the OVF descriptor first, then the manifest, then the disk (what ESXi and ovftool expect)
tar -C "$out" --format=ustar -cf "$ova" "$(basename "$ovf")" "$(basename "$mf")" "$(basename "$vmdk")"
step "done"
ls -l "$img" "$raw" "$vmdk" "$ova" | awk '{ printf "  %-60s %6d MiB\n", $NF, $5 / 1048576 }'
echo "  raw disk allocated: $(du -m "$raw" | cut -f1) MiB; root file system: $(du -sm "$root" | cut -f1) MiB"
