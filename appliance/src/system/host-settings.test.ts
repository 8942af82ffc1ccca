import { describe, expect, it } from 'vitest'
import { DEFAULT_HOST_SETTINGS, type HostSettings, parseHostSettings } from './host-settings.ts'

const STATIC: HostSettings = {
  hostname: 'clawback.corp.example',
  network: {
    interface: 'ens192',
    ipv4: { mode: 'static', address: '192.0.2.10/24', gateway: '192.0.2.1' },
    ipv6: { mode: 'static', address: '2001:db8::10/64', gateway: '2001:db8::1' },
    dns: ['192.0.2.53', '2001:db8::53'],
    searchDomains: ['corp.example'],
  },
  ntp: { servers: ['ntp1.corp.example', '192.0.2.123'] },
  syslog: { host: 'siem.corp.example', port: 6514, protocol: 'tcp', tls: true },
}

const withPatch = (patch: (s: HostSettings) => void) => {
  const s = structuredClone(STATIC) as HostSettings
  patch(s)
  return s
}
const reason = (input: unknown) => {
  try {
    parseHostSettings(input)
  } catch (err) {
    return (err as Error).message
  }
  return 'accepted'
}

describe('host settings validation', () => {
  it('accepts DHCP defaults and a full static IPv4 + IPv6 configuration', () => {
    expect(parseHostSettings(DEFAULT_HOST_SETTINGS)).toEqual(DEFAULT_HOST_SETTINGS)
    expect(parseHostSettings(STATIC)).toEqual(STATIC)
    expect(
      parseHostSettings({
        hostname: 'cb1',
        network: { ipv4: { mode: 'dhcp' }, ipv6: { mode: 'off' } },
        ntp: {},
      }),
    ).toEqual({
      hostname: 'cb1',
      network: { interface: 'en*', ipv4: { mode: 'dhcp' }, ipv6: { mode: 'off' }, dns: [], searchDomains: [] },
      ntp: { servers: [] },
      syslog: null,
    })
  })

  it.each([
    ['a host name with a space', (s: HostSettings) => (s.hostname = 'bad host'), 'hostname: letters, digits'],
    ['a host name with a newline', (s: HostSettings) => (s.hostname = 'ok\n10.0.0.1 evil'), 'hostname: letters'],
    ['an empty host name', (s: HostSettings) => (s.hostname = ''), 'hostname: required'],
    ['a host name over 64 characters', (s: HostSettings) => (s.hostname = 'a'.repeat(65)), 'hostname: at most 64'],
    [
      'an IPv4 address without prefix',
      (s: HostSettings) => (s.network.ipv4 = { mode: 'static', address: '192.0.2.10' }),
      'network.ipv4.address: expected address/prefix',
    ],
    [
      'an IPv4 /0',
      (s: HostSettings) => (s.network.ipv4 = { mode: 'static', address: '192.0.2.10/0' }),
      'network.ipv4.address: the prefix must be 1 to 32',
    ],
    [
      'an IPv6 gateway given as IPv4',
      (s: HostSettings) => (s.network.ipv6 = { mode: 'static', address: '2001:db8::10/64', gateway: '192.0.2.1' }),
      'network.ipv6.gateway: expected an IPv6 address',
    ],
    [
      'an unknown IPv4 mode',
      (s: HostSettings) => (s.network.ipv4 = { mode: 'bootp' } as never),
      'network.ipv4.mode: choose dhcp or static',
    ],
    [
      'an address with DHCP',
      (s: HostSettings) => (s.network.ipv4 = { mode: 'dhcp', address: '192.0.2.10/24' } as never),
      'network.ipv4: Unrecognized key',
    ],
    [
      'a DNS server that is a name',
      (s: HostSettings) => (s.network.dns = ['dns.corp.example']),
      'network.dns.0: expected an IPv4 or IPv6 address',
    ],
    [
      'four DNS servers',
      (s: HostSettings) => (s.network.dns = ['1.1.1.1', '1.0.0.1', '8.8.8.8', '8.8.4.4']),
      'network.dns: at most 3',
    ],
    [
      'a search domain with a quote',
      (s: HostSettings) => (s.network.searchDomains = ['corp".example']),
      'network.searchDomains.0: expected a domain name',
    ],
    [
      'an interface glob with a space',
      (s: HostSettings) => (s.network.interface = 'en* eth*'),
      'network.interface: an interface name or glob',
    ],
    [
      'an NTP server with a space',
      (s: HostSettings) => (s.ntp.servers = ['ntp1 ntp2']),
      'ntp.servers.0: expected a host name',
    ],
    [
      'a syslog host with a quote',
      (s: HostSettings) => (s.syslog = { host: 'siem"); evil(', port: 514, protocol: 'udp', tls: false }),
      'syslog.host: expected a host name or an IP address',
    ],
    [
      'a syslog port out of range',
      (s: HostSettings) => (s.syslog = { host: 'siem.corp.example', port: 70000, protocol: 'tcp', tls: false }),
      'syslog.port:',
    ],
    [
      'TLS over UDP',
      (s: HostSettings) => (s.syslog = { host: 'siem.corp.example', port: 6514, protocol: 'udp', tls: true }),
      'syslog.tls: TLS needs protocol tcp',
    ],
    ['an unknown key', (s: HostSettings) => Object.assign(s, { shell: 'rm -rf /' }), 'settings: Unrecognized key'],
  ])('refuses %s, naming the field', (_name, patch, message) => {
    expect(reason(withPatch(patch))).toContain(message)
  })

  it('never repeats the submitted value in the message', () => {
    const secretish = 'not-a-port-value-1234'
    expect(reason(withPatch((s) => (s.syslog!.host = `${secretish}"`)))).not.toContain(secretish)
    expect(reason(withPatch((s) => (s.hostname = `${secretish} x`)))).not.toContain(secretish)
  })
})
