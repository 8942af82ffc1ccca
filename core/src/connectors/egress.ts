import { BlockList, isIP } from 'node:net'

/**
 * The egress policy of every outbound connection a connector makes (HTTP, SMTP, LDAP, IMAP...).
 *
 * A connector instance reaches public addresses only, unless an admin marked it on-premises
 * (an Exchange server, a relay or a firewall inside the network). Cloud metadata endpoints are
 * refused even then: nothing a connector does needs them, and they hand out credentials.
 * The check runs on every address a name resolves to, at connect time, so DNS cannot smuggle a
 * private address past it.
 */
export type EgressPolicy = { isOnPremises: boolean }

const METADATA = new BlockList()
METADATA.addAddress('169.254.169.254') // AWS, GCP, Azure, OpenStack
METADATA.addAddress('169.254.170.2') // AWS ECS task credentials
METADATA.addAddress('100.100.100.200') // Alibaba Cloud
METADATA.addAddress('fd00:ec2::254', 'ipv6') // AWS over IPv6

/** Addresses only an on-premises connector may reach (RFC 6890 special-purpose ranges we treat as internal). */
const INTERNAL = new BlockList()
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
] as const)
  INTERNAL.addSubnet(net, prefix, 'ipv4')
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
] as const)
  INTERNAL.addSubnet(net, prefix, 'ipv6')

/** Never a destination: multicast, reserved and documentation ranges. */
const NEVER = new BlockList()
NEVER.addSubnet('224.0.0.0', 4, 'ipv4')
NEVER.addSubnet('240.0.0.0', 4, 'ipv4') // reserved + broadcast
NEVER.addSubnet('ff00::', 8, 'ipv6')

/** `::ffff:10.0.0.1` and friends are judged as the IPv4 address they carry. */
const unmap = (address: string) => {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  return m ? m[1]! : address
}

/**
 * Why `address` (an IP literal) may not be reached under `policy`, or undefined when it may.
 * A non-IP string is refused: callers resolve names first.
 */
export const egressRefusal = (address: string, policy: EgressPolicy): string | undefined => {
  const ip = unmap(address)
  const family = isIP(ip)
  if (!family) return `${address} is not an IP address`
  const type = family === 6 ? 'ipv6' : 'ipv4'
  if (METADATA.check(ip, type)) return `${ip} is a cloud metadata address`
  if (NEVER.check(ip, type)) return `${ip} is a multicast or reserved address`
  if (!policy.isOnPremises && INTERNAL.check(ip, type))
    return `${ip} is a loopback, link-local or private address; mark the connector as on-premises to reach it`
  return undefined
}
