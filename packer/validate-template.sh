#!/bin/bash
# Validates the ESXi Packer template with Debian's packer (1.6.6, vsphere-iso built in) without
# any network: no checkpoint call, an empty plugin path, and inside a new network namespace
# (unshare --net: only a down loopback). Placeholder values stand in for the site variables.
# The plugin pin (plugins.pkr.hcl) is for modern Packer and is not given to 1.6.6.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
plugins=$(mktemp -d)
trap 'rm -rf "$plugins"' EXIT
# the file provisioner checks its source exists: an empty stand-in for the staged release
touch "$plugins/release.tar"
cd "$here"
CHECKPOINT_DISABLE=1 PACKER_PLUGIN_PATH=$plugins unshare --net packer validate \
  -var vcenter_server=vcenter.invalid -var vcenter_username=u -var vcenter_password=placeholder-password \
  -var datacenter=dc -var cluster=c -var datastore=ds -var network=n \
  -var 'iso_path=[ds] debian-13-amd64-netinst.iso' -var version=0.0.0 -var "release_tarball=$plugins/release.tar" -var build_password=placeholder-password \
  clawback.pkr.hcl
