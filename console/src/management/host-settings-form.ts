import type { HostSettings } from '../../../appliance/src/system/host-settings.ts'

/**
 * The host settings form: one field per setting, named by its path in the settings model, so a
 * validation error ("network.ipv4.address: …") lands beside the field it names. Lists are
 * space- or comma-separated.
 */
export const HOST_FORM_FIELDS = [
  'hostname',
  'network.interface',
  'network.ipv4.mode',
  'network.ipv4.address',
  'network.ipv4.gateway',
  'network.ipv6.mode',
  'network.ipv6.address',
  'network.ipv6.gateway',
  'network.dns',
  'network.searchDomains',
  'ntp.servers',
  'syslog.enabled',
  'syslog.host',
  'syslog.port',
  'syslog.protocol',
  'syslog.tls',
] as const
export type HostFormValues = Record<(typeof HOST_FORM_FIELDS)[number], string>

/** Settings → what the form shows. */
export const hostFormValues = (s: HostSettings): HostFormValues => {
  const ip = (v: HostSettings['network']['ipv4' | 'ipv6']) =>
    v.mode === 'static' ? { address: v.address, gateway: v.gateway ?? '' } : { address: '', gateway: '' }
  const v4 = ip(s.network.ipv4)
  const v6 = ip(s.network.ipv6)
  return {
    hostname: s.hostname,
    'network.interface': s.network.interface,
    'network.ipv4.mode': s.network.ipv4.mode,
    'network.ipv4.address': v4.address,
    'network.ipv4.gateway': v4.gateway,
    'network.ipv6.mode': s.network.ipv6.mode,
    'network.ipv6.address': v6.address,
    'network.ipv6.gateway': v6.gateway,
    'network.dns': s.network.dns.join(' '),
    'network.searchDomains': s.network.searchDomains.join(' '),
    'ntp.servers': s.ntp.servers.join(' '),
    'syslog.enabled': s.syslog ? 'on' : '',
    'syslog.host': s.syslog?.host ?? '',
    'syslog.port': s.syslog ? String(s.syslog.port) : '514',
    'syslog.protocol': s.syslog?.protocol ?? 'udp',
    'syslog.tls': s.syslog?.tls ? 'on' : '',
  }
}

const words = (v: string) => v.split(/[\s,]+/).filter(Boolean)

/** Submitted form → the settings input (validated by the domain, which names the bad field). */
export const hostSettingsInput = (v: HostFormValues): unknown => {
  const ip = (mode: string, address: string, gateway: string) =>
    mode === 'static' ? { mode, address, ...(gateway ? { gateway } : {}) } : { mode }
  return {
    hostname: v.hostname,
    network: {
      interface: v['network.interface'] || 'en*',
      ipv4: ip(v['network.ipv4.mode'], v['network.ipv4.address'], v['network.ipv4.gateway']),
      ipv6: ip(v['network.ipv6.mode'], v['network.ipv6.address'], v['network.ipv6.gateway']),
      dns: words(v['network.dns']),
      searchDomains: words(v['network.searchDomains']),
    },
    ntp: { servers: words(v['ntp.servers']) },
    syslog:
      v['syslog.enabled'] === 'on'
        ? {
            host: v['syslog.host'],
            port: /^\d+$/.test(v['syslog.port']) ? Number(v['syslog.port']) : undefined,
            protocol: v['syslog.protocol'],
            tls: v['syslog.tls'] === 'on',
          }
        : null,
  }
}

/** The form field an error path ("network.dns.1") belongs to. */
export const hostFormField = (errorPath: string) =>
  [...HOST_FORM_FIELDS]
    .sort((a, b) => b.length - a.length)
    .find((f) => errorPath === f || errorPath.startsWith(`${f}.`)) ??
  (errorPath.startsWith('network.ipv4')
    ? 'network.ipv4.mode'
    : errorPath.startsWith('network.ipv6')
      ? 'network.ipv6.mode'
      : '_')
