import { describe, expect, it } from 'vitest'
import { hostSettingsFromProperties, parseOvfEnvironment } from './ovf-properties.ts'

const env = (props: Record<string, string>) => `<?xml version="1.0" encoding="UTF-8"?>
<Environment xmlns="http://schemas.dmtf.org/ovf/environment/1" xmlns:oe="http://schemas.dmtf.org/ovf/environment/1"
  oe:id="" xmlns:ve="http://www.vmware.com/schema/ovfenv" ve:vCenterId="vm-1">
  <PlatformSection><Kind>VMware ESXi</Kind><Version>6.7.0</Version></PlatformSection>
  <PropertySection>
${Object.entries(props)
  .map(([k, v]) => `    <Property oe:key="${k}" oe:value="${v}"/>`)
  .join('\n')}
  </PropertySection>
</Environment>`

describe('first-boot OVF properties', () => {
  it('reads the properties of a VMware OVF environment, XML entities decoded, unknown keys ignored', () => {
    expect(
      parseOvfEnvironment(env({ hostname: 'cb1', admin_password: 'a&amp;b&quot;c&lt;&#33;', ip: '', 'vami.foo': 'x' })),
    ).toEqual({ hostname: 'cb1', admin_password: 'a&b"c<!', ip: '' })
    expect(parseOvfEnvironment('')).toEqual({})
  })

  it('maps them to host settings: static address with gateway, DNS and NTP lists; empty means DHCP', () => {
    const s = hostSettingsFromProperties({
      hostname: 'cb1.corp.example',
      ip: '192.0.2.10/24',
      gateway: '192.0.2.1',
      dns: '192.0.2.53, 192.0.2.54',
      ntp: 'ntp1.corp.example,ntp2.corp.example',
    })
    expect(s.hostname).toBe('cb1.corp.example')
    expect(s.network.ipv4).toEqual({ mode: 'static', address: '192.0.2.10/24', gateway: '192.0.2.1' })
    expect(s.network.dns).toEqual(['192.0.2.53', '192.0.2.54'])
    expect(s.ntp.servers).toEqual(['ntp1.corp.example', 'ntp2.corp.example'])
    expect(hostSettingsFromProperties({ ip: ' ' }).network.ipv4).toEqual({ mode: 'dhcp' })
    expect(hostSettingsFromProperties({}).hostname).toBe('clawback')
  })

  it('refuses a bad property naming it, never echoing its value', () => {
    expect(() => hostSettingsFromProperties({ ip: '300.1.1.1/24' })).toThrow(/^OVF property ip: /)
    expect(() => hostSettingsFromProperties({ hostname: 'bad name;rm' })).toThrow(/^OVF property hostname: /)
    expect(() => hostSettingsFromProperties({ ip: '192.0.2.10/24', gateway: 'nope' })).toThrow(
      /^OVF property gateway: /,
    )
    expect(() => hostSettingsFromProperties({ hostname: 'bad name;rm' })).not.toThrow(/rm/)
  })
})
