import { readFileSync } from 'node:fs'
import path from 'node:path'
import { DEFAULT_HOST_SETTINGS, type HostSettings, ZHostSettings } from './host-settings.ts'

/** The Debian files the host settings live in, relative to the file-system root. */
export const HOST_FILES = {
  hostname: 'etc/hostname',
  hosts: 'etc/hosts',
  network: 'etc/systemd/network/10-clawback.network',
  timesyncd: 'etc/systemd/timesyncd.conf.d/clawback.conf',
  rsyslog: 'etc/rsyslog.d/60-clawback-forward.conf',
} as const
export type HostFile = keyof typeof HOST_FILES

/** Debian's CA bundle (ca-certificates): a forwarding target's TLS certificate must chain to it. */
export const SYSTEM_CA_FILE = '/etc/ssl/certs/ca-certificates.crt'
const HEADER = '# Written by Clawback (management console or `clawbackctl system set`); edits here are overwritten.\n'

const readText = (root: string, file: HostFile) => {
  try {
    return readFileSync(path.join(root, HOST_FILES[file]), 'utf8')
  } catch {
    return undefined
  }
}

/** /etc/hosts with the Debian `127.0.1.1 <fqdn> <short>` line replaced; every other line kept. */
const hostsWith = (current: string | undefined, hostname: string) => {
  const short = hostname.split('.')[0]!
  const entry = `127.0.1.1\t${hostname === short ? hostname : `${hostname} ${short}`}`
  const lines = (current ?? '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n')
    .split('\n')
    .filter((l) => !/^\s*127\.0\.1\.1\s/.test(l))
  while (lines.length && lines.at(-1) === '') lines.pop()
  const at = lines.findIndex((l) => /^\s*127\.0\.0\.1\s/.test(l))
  lines.splice(at + 1, 0, entry)
  return `${lines.join('\n')}\n`
}

const networkFile = (n: HostSettings['network']) => {
  const dhcp4 = n.ipv4.mode === 'dhcp'
  const dhcp6 = n.ipv6.mode === 'auto'
  const lines = [HEADER, '[Match]', `Name=${n.interface}`, '', '[Network]']
  lines.push(`DHCP=${dhcp4 && dhcp6 ? 'yes' : dhcp4 ? 'ipv4' : dhcp6 ? 'ipv6' : 'no'}`)
  lines.push(`IPv6AcceptRA=${dhcp6 ? 'yes' : 'no'}`)
  if (n.ipv6.mode === 'off') lines.push('LinkLocalAddressing=no')
  for (const ip of [n.ipv4, n.ipv6]) {
    if (ip.mode !== 'static') continue
    lines.push(`Address=${ip.address}`)
    if (ip.gateway) lines.push(`Gateway=${ip.gateway}`)
  }
  for (const d of n.dns) lines.push(`DNS=${d}`)
  if (n.searchDomains.length) lines.push(`Domains=${n.searchDomains.join(' ')}`)
  return `${lines.join('\n')}\n`
}

const rsyslogFile = (s: NonNullable<HostSettings['syslog']>) => {
  const params = [`target="${s.host}"`, `port="${s.port}"`, `protocol="${s.protocol}"`]
  if (s.tls)
    params.push(
      'StreamDriver="gtls"',
      'StreamDriverMode="1"',
      'StreamDriverAuthMode="x509/name"',
      `StreamDriverPermittedPeers="${s.host}"`,
      `StreamDriver.CAFile="${SYSTEM_CA_FILE}"`,
    )
  // an in-memory queue, retried forever, holds messages while the target is down instead of blocking local logging
  params.push('queue.type="LinkedList"', 'queue.size="10000"', 'action.resumeRetryCount="-1"')
  return `${HEADER}*.* action(type="omfwd"\n  ${params.join('\n  ')})\n`
}

/**
 * The content each host file must have for `settings`; `undefined` means the file must not exist
 * (no NTP drop-in: Debian's defaults; no forwarding file: logs stay local). /etc/hosts keeps the
 * lines of `currentHosts` other than the 127.0.1.1 entry. Pure: every value was validated.
 */
export const renderHostFiles = (
  settings: HostSettings,
  currentHosts?: string,
): Record<HostFile, string | undefined> => ({
  hostname: `${settings.hostname}\n`,
  hosts: hostsWith(currentHosts, settings.hostname),
  network: networkFile(settings.network),
  timesyncd: settings.ntp.servers.length ? `${HEADER}[Time]\nNTP=${settings.ntp.servers.join(' ')}\n` : undefined,
  rsyslog: settings.syslog ? rsyslogFile(settings.syslog) : undefined,
})

/** `Key=value` lines of an ini file (all sections), repeated keys collected in order. */
const iniValues = (text: string) => {
  const out = new Map<string, string[]>()
  for (const m of text.matchAll(/^\s*([A-Za-z0-9]+)\s*=\s*(.*?)\s*$/gm))
    out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!])
  return out
}

const readNetwork = (text: string): HostSettings['network'] => {
  const v = iniValues(text)
  const dhcp = v.get('DHCP')?.[0] ?? 'no'
  const addresses = v.get('Address') ?? []
  const gateways = v.get('Gateway') ?? []
  const v4 = addresses.find((a) => !a.includes(':'))
  const v6 = addresses.find((a) => a.includes(':'))
  const gw4 = gateways.find((g) => !g.includes(':'))
  const gw6 = gateways.find((g) => g.includes(':'))
  return {
    interface: v.get('Name')?.[0] ?? DEFAULT_HOST_SETTINGS.network.interface,
    ipv4: v4 ? { mode: 'static', address: v4, ...(gw4 ? { gateway: gw4 } : {}) } : { mode: 'dhcp' },
    ipv6: v6
      ? { mode: 'static', address: v6, ...(gw6 ? { gateway: gw6 } : {}) }
      : dhcp === 'yes' || dhcp === 'ipv6' || v.get('IPv6AcceptRA')?.[0] === 'yes'
        ? { mode: 'auto' }
        : { mode: 'off' },
    dns: v.get('DNS') ?? [],
    searchDomains: (v.get('Domains') ?? []).flatMap((d) => d.split(/\s+/)).filter(Boolean),
  }
}

const readSyslog = (text: string): HostSettings['syslog'] => {
  const param = (name: string) => new RegExp(`\\b${name}\\s*=\\s*"([^"]*)"`, 'i').exec(text)?.[1]
  const host = param('target')
  if (!host) return null
  return {
    host,
    port: Number(param('port') ?? 514),
    protocol: param('protocol') === 'tcp' ? 'tcp' : 'udp',
    tls: param('StreamDriver') === 'gtls',
  }
}

/**
 * Reads the host settings back from the files Clawback writes under `root` (the round trip of
 * renderHostFiles): the host name from /etc/hostname, the rest from Clawback's own networkd,
 * timesyncd and rsyslog files, defaults where a file is absent. Returns undefined when what is
 * on disk is not a valid configuration (e.g. a host name Clawback would refuse).
 */
export const readHostSettings = (root: string): HostSettings | undefined => {
  const network = readText(root, 'network')
  const ntp = readText(root, 'timesyncd')
  const syslog = readText(root, 'rsyslog')
  const parsed = ZHostSettings.safeParse({
    hostname: readText(root, 'hostname')?.trim() ?? DEFAULT_HOST_SETTINGS.hostname,
    network: network === undefined ? DEFAULT_HOST_SETTINGS.network : readNetwork(network),
    ntp: { servers: ntp === undefined ? [] : (iniValues(ntp).get('NTP') ?? []).flatMap((s) => s.split(/\s+/)) },
    syslog: syslog === undefined ? null : readSyslog(syslog),
  })
  return parsed.success ? parsed.data : undefined
}

/** The current text of a host file under `root` (undefined when absent). */
export const readHostFile = readText
