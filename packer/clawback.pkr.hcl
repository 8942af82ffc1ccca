# Clawback appliance for VMware ESXi, built on a vCenter with the vsphere-iso builder: a Debian 13
# netinst ISO installed unattended (http/preseed.cfg), then the staged release installed by the
# same steps as the local build (appliance/image/install-release.sh), exported as an OVA.
# The local build (packer/build-local.sh, `npm run build:ova`) makes the same appliance without a
# vCenter; see packer/README.md for when to use which.
#
#   packer init packer/ && packer build -var-file=site.pkrvars.hcl packer/
# Credentials and site values come from a var file or PKR_VAR_* variables: never committed.

variable "vcenter_server" {
  type        = string
  description = "vCenter host name"
}
variable "vcenter_username" {
  type = string
}
variable "vcenter_password" {
  type      = string
  sensitive = true
}
variable "vcenter_insecure" {
  type        = bool
  default     = false
  description = "accept a vCenter certificate that does not verify (lab only)"
}
variable "datacenter" {
  type = string
}
variable "cluster" {
  type = string
}
variable "datastore" {
  type = string
}
variable "network" {
  type        = string
  description = "port group the build VM uses to fetch Debian packages"
}
variable "iso_path" {
  type        = string
  description = "Debian 13 netinst ISO on a datastore, e.g. [datastore1] iso/debian-13-amd64-netinst.iso"
}
variable "release_tarball" {
  type        = string
  description = "staged release (tar of var/appliance/stage, see packer/README.md)"
  default     = "../var/appliance/release.tar"
}
variable "version" {
  type = string
}
variable "output_directory" {
  type    = string
  default = "../var/appliance/vsphere"
}
variable "build_password" {
  type        = string
  sensitive   = true
  description = "temporary root password of the build VM (locked again before export)"
}

source "vsphere-iso" "clawback" {
  vcenter_server      = var.vcenter_server
  username            = var.vcenter_username
  password            = var.vcenter_password
  insecure_connection = var.vcenter_insecure
  datacenter          = var.datacenter
  cluster             = var.cluster
  datastore           = var.datastore

  vm_name              = "clawback-${var.version}"
  guest_os_type        = "debian11_64Guest"
  vm_version           = 14
  firmware             = "efi"
  CPUs                 = 2
  RAM                  = 4096
  disk_controller_type = ["lsilogic"]
  storage {
    disk_size             = 20480
    disk_thin_provisioned = true
  }
  network_adapters {
    network      = var.network
    network_card = "vmxnet3"
  }
  iso_paths    = [var.iso_path]
  http_directory = "http"
  boot_wait    = "5s"
  boot_command = [
    "c<wait>",
    "linux /install.amd/vmlinuz auto=true priority=critical url=http://{{ .HTTPIP }}:{{ .HTTPPort }}/preseed.cfg hostname=clawback domain= passwd/root-password=${var.build_password} passwd/root-password-again=${var.build_password} ---<enter>",
    "initrd /install.amd/initrd.gz<enter>",
    "boot<enter>"
  ]
  ssh_username = "root"
  ssh_password = var.build_password
  ssh_timeout  = "45m"
  shutdown_command = "systemctl poweroff"

  export {
    output_directory = var.output_directory
    images           = false
    manifest         = "sha256"
    force            = true
  }
}

build {
  sources = ["source.vsphere-iso.clawback"]

  provisioner "file" {
    source      = var.release_tarball
    destination = "/tmp/release.tar"
  }
  provisioner "shell" {
    inline = [
      "mkdir -p /opt/clawback/releases/${var.version}",
      "tar -C /opt/clawback/releases/${var.version} -xf /tmp/release.tar",
      "rm /tmp/release.tar",
      "/opt/clawback/releases/${var.version}/appliance/image/install-release.sh / ${var.version}",
      # no password login and no SSH server in the exported appliance
      "passwd -l root",
      "apt-get purge -y openssh-server",
    ]
  }

  # The export writes OVF + VMDK + manifest (Debian's packer 1.6.6 has no OVA output format):
  # tar them into the OVA with the descriptor first, as the local build does.
  post-processor "shell-local" {
    inline = [
      "cd ${var.output_directory}/clawback-${var.version}",
      "tar --format=ustar -cf ../clawback-${var.version}-vsphere.ova clawback-${var.version}.ovf clawback-${var.version}.mf *.vmdk",
    ]
  }
}
