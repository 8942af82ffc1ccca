#!/bin/bash
# CI step for the appliance (call from .ci/run as its own step, as root, after `npm ci`):
#   bash packer/ci-boot-test.sh [--first-boot-only] [--recovery]
# Installs the build and boot tools from Debian, builds the image with a throwaway signing key
# (npm run build:ova -- --keygen; the Debian base is cached between runs on the same machine),
# validates the ESXi Packer template offline, and boots the image (npm run test:appliance; with
# --first-boot-only only up to the incident over the API: no memory/units/backup/host settings/IMGs).
# --recovery then boots it again the other way (npm run test:appliance -- --recovery): no OVF
# properties, first boot cut off by killing qemu and finished by the next boot, the tty1 menu.
# Prints `appliance: N passed, N failed` as its last line and exits non-zero on any failure.
# Time on the 2-core CI machine: see packer/README.md ("Boot test").
set -uo pipefail
cd "$(dirname "$0")/.."
# bounded for CI (a quiet 2-core machine boots to /readyz in ~8–10 min): a guest that never gets
# ready fails the step in 25 min instead of the interactive default of 45
export CLAWBACK_BOOT_TIMEOUT_S=${CLAWBACK_BOOT_TIMEOUT_S:-1500}
boot_args=()
recovery=
for a in "$@"; do
  case "$a" in
    --first-boot-only) boot_args=(--first-boot-only) ;;
    --recovery) recovery=1 ;;
    *) echo "unknown option $a" >&2; exit 2 ;;
  esac
done
passed=0
failed=0
run() {
  local name=$1
  shift
  echo "== appliance: $name"
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL appliance: $name"; fi
}
run "install tools" bash -c 'DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap qemu-system-x86 \
  qemu-utils ovmf dosfstools mtools e2fsprogs fdisk zstd packer >/dev/null'
run "packer template validates (Debian packer, no network)" bash packer/validate-template.sh
if run "build (npm run build:ova)" npm run --silent build:ova -- --keygen; then
  run "boot test (npm run test:appliance ${boot_args[*]})" npm run --silent test:appliance -- "${boot_args[@]}"
  [ -n "$recovery" ] && run "boot test (npm run test:appliance -- --recovery)" npm run --silent test:appliance -- --recovery
fi
echo "appliance: $passed passed, $failed failed"
[ "$failed" = 0 ]
