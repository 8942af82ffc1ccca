import { statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from '../appliance/src/cli/command.ts'
import { OVF_PROPERTIES } from '../appliance/src/image/ovf-properties.ts'

/**
 * Writes the OVF descriptor of the appliance (packer/build-local.sh):
 *   write-ovf.ts --version V --vmdk FILE --capacity BYTES --out FILE.ovf
 * Virtual hardware version 14 (ESXi 6.7 and later), EFI firmware, 2 vCPU, 4 GiB, LSI Logic SCSI
 * with the stream-optimised disk, one VMXNET3 NIC, and the first-boot properties in the
 * ProductSection: vSphere asks for them at import and hands them to the guest as guestinfo.ovfEnv.
 */
const { options } = parseArgs(process.argv.slice(2))
const need = (k: string) => {
  const v = options[k]
  if (typeof v !== 'string') throw new Error(`--${k} is required`)
  return v
}
const version = need('version')
const vmdk = need('vmdk')
const capacity = Number(need('capacity'))
const out = need('out')
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
const GiB = 1024 ** 3
const property = (key: string, label: string) => `
      <Property ovf:key="${key}" ovf:type="string" ovf:userConfigurable="true" ovf:value=""${key === 'admin_password' ? ' ovf:password="true"' : ''}>
        <Label>${esc(key)}</Label>
        <Description>${esc(label)}</Description>
      </Property>`
const item = (body: string) => `
      <Item>${body}
      </Item>`

const ovf = `<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1"
  xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
  xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"
  xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData"
  xmlns:vmw="http://www.vmware.com/schema/ovf"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <References>
    <File ovf:id="file1" ovf:href="${esc(path.basename(vmdk))}" ovf:size="${statSync(vmdk).size}"/>
  </References>
  <DiskSection>
    <Info>Virtual disks</Info>
    <Disk ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:capacity="${Math.round(capacity / GiB)}" ovf:capacityAllocationUnits="byte * 2^30"
      ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/>
  </DiskSection>
  <NetworkSection>
    <Info>Networks</Info>
    <Network ovf:name="VM Network"><Description>The network of the appliance's web UI, API and console</Description></Network>
  </NetworkSection>
  <VirtualSystem ovf:id="clawback-${esc(version)}">
    <Info>Clawback incident-response appliance</Info>
    <Name>Clawback ${esc(version)}</Name>
    <OperatingSystemSection ovf:id="96" vmw:osType="debian11_64Guest">
      <Info>Debian GNU/Linux (64-bit)</Info>
    </OperatingSystemSection>
    <ProductSection ovf:required="false">
      <Info>First-boot settings (leave empty for DHCP and a generated admin password shown on the VM console)</Info>
      <Product>Clawback</Product>
      <Vendor>Clawback</Vendor>
      <Version>${esc(version)}</Version>
      <FullVersion>${esc(version)}</FullVersion>
      <Category>First boot</Category>${Object.entries(OVF_PROPERTIES)
        .map(([k, v]) => property(k, v))
        .join('')}
    </ProductSection>
    <VirtualHardwareSection ovf:transport="com.vmware.guestInfo">
      <Info>Virtual hardware</Info>
      <System>
        <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>
        <vssd:InstanceID>0</vssd:InstanceID>
        <vssd:VirtualSystemIdentifier>clawback</vssd:VirtualSystemIdentifier>
        <vssd:VirtualSystemType>vmx-14</vssd:VirtualSystemType>
      </System>${item(`
        <rasd:AllocationUnits>hertz * 10^6</rasd:AllocationUnits>
        <rasd:Description>Number of virtual CPUs</rasd:Description>
        <rasd:ElementName>2 virtual CPUs</rasd:ElementName>
        <rasd:InstanceID>1</rasd:InstanceID>
        <rasd:ResourceType>3</rasd:ResourceType>
        <rasd:VirtualQuantity>2</rasd:VirtualQuantity>`)}${item(`
        <rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits>
        <rasd:Description>Memory size</rasd:Description>
        <rasd:ElementName>4096 MB of memory</rasd:ElementName>
        <rasd:InstanceID>2</rasd:InstanceID>
        <rasd:ResourceType>4</rasd:ResourceType>
        <rasd:VirtualQuantity>4096</rasd:VirtualQuantity>`)}${item(`
        <rasd:Address>0</rasd:Address>
        <rasd:Description>SCSI controller</rasd:Description>
        <rasd:ElementName>SCSI controller 0</rasd:ElementName>
        <rasd:InstanceID>3</rasd:InstanceID>
        <rasd:ResourceSubType>lsilogic</rasd:ResourceSubType>
        <rasd:ResourceType>6</rasd:ResourceType>`)}${item(`
        <rasd:AddressOnParent>0</rasd:AddressOnParent>
        <rasd:ElementName>Hard disk 1</rasd:ElementName>
        <rasd:HostResource>ovf:/disk/vmdisk1</rasd:HostResource>
        <rasd:InstanceID>4</rasd:InstanceID>
        <rasd:Parent>3</rasd:Parent>
        <rasd:ResourceType>17</rasd:ResourceType>`)}${item(`
        <rasd:AddressOnParent>7</rasd:AddressOnParent>
        <rasd:AutomaticAllocation>true</rasd:AutomaticAllocation>
        <rasd:Connection>VM Network</rasd:Connection>
        <rasd:Description>VMXNET3 ethernet adapter on "VM Network"</rasd:Description>
        <rasd:ElementName>Network adapter 1</rasd:ElementName>
        <rasd:InstanceID>5</rasd:InstanceID>
        <rasd:ResourceSubType>VmxNet3</rasd:ResourceSubType>
        <rasd:ResourceType>10</rasd:ResourceType>`)}
      <vmw:Config ovf:required="false" vmw:key="firmware" vmw:value="efi"/>
      <vmw:Config ovf:required="false" vmw:key="tools.syncTimeWithHost" vmw:value="false"/>
      <vmw:Config ovf:required="false" vmw:key="powerOpInfo.powerOffType" vmw:value="soft"/>
      <vmw:Config ovf:required="false" vmw:key="powerOpInfo.resetType" vmw:value="soft"/>
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
`
writeFileSync(out, ovf)
