# The plugin pin for modern Packer (>= 1.7): `packer init packer/` installs it, then
# `packer build packer/`. Kept in its own file because Debian's packer 1.6.6 (which has
# vsphere-iso built in) rejects the required_plugins block: CI validates clawback.pkr.hcl alone
# with it (packer/validate-template.sh).
packer {
  required_version = ">= 1.7.0"
  required_plugins {
    vsphere = {
      version = "= 1.4.2"
      source  = "github.com/hashicorp/vsphere"
    }
  }
}
