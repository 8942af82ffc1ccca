import { z } from 'zod'
import { parseOr400 } from '../../../core/src/validation/parse-input.ts'

/**
 * The appliance's host settings: host name, network (systemd-networkd), NTP servers (timesyncd)
 * and syslog forwarding (rsyslog omfwd). Every value ends up in a file under /etc that root
 * applies, so each is matched against a strict pattern (no spaces, quotes or newlines can pass)
 * and unknown keys are refused.
 */
const LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/
const isDomain = (s: string) => s.length <= 253 && s.split('.').every((l) => LABEL.test(l))

const ZHostname = z
  .string({ error: 'required' })
  .min(1, { error: 'required' })
  .max(64, { error: 'at most 64 characters' })
  .refine(isDomain, {
    error: 'letters, digits and hyphens in dot-separated labels, e.g. clawback or clawback.corp.example',
  })
const ZDomain = z.string().refine(isDomain, { error: 'expected a domain name such as corp.example' })
const ZIp = z.union([z.ipv4(), z.ipv6()], { error: 'expected an IPv4 or IPv6 address' })
/** An NTP or syslog server: a host name or an IP address. */
const ZServer = z
  .string()
  .refine((s) => isDomain(s) || z.ipv4().safeParse(s).success || z.ipv6().safeParse(s).success, {
    error: 'expected a host name or an IP address',
  })
const noZeroPrefix = (s: string) => !/\/0+$/.test(s)

const ZIpv4 = z.discriminatedUnion(
  'mode',
  [
    z.strictObject({ mode: z.literal('dhcp') }),
    z.strictObject({
      mode: z.literal('static'),
      address: z
        .cidrv4({ error: 'expected address/prefix such as 192.0.2.10/24' })
        .refine(noZeroPrefix, { error: 'the prefix must be 1 to 32' }),
      gateway: z.ipv4({ error: 'expected an IPv4 address such as 192.0.2.1' }).optional(),
    }),
  ],
  { error: 'choose dhcp or static' },
)
const ZIpv6 = z.discriminatedUnion(
  'mode',
  [
    z.strictObject({ mode: z.literal('auto') }),
    z.strictObject({ mode: z.literal('off') }),
    z.strictObject({
      mode: z.literal('static'),
      address: z
        .cidrv6({ error: 'expected address/prefix such as 2001:db8::10/64' })
        .refine(noZeroPrefix, { error: 'the prefix must be 1 to 128' }),
      gateway: z.ipv6({ error: 'expected an IPv6 address such as 2001:db8::1' }).optional(),
    }),
  ],
  { error: 'choose auto, static or off' },
)

export const ZNetwork = z.strictObject({
  /** systemd-networkd `[Match] Name=`: an interface name or a glob such as en* */
  interface: z
    .string()
    .regex(/^[A-Za-z0-9_.:*?-]{1,15}$/, { error: 'an interface name or glob such as en* or ens192' })
    .default('en*'),
  ipv4: ZIpv4,
  ipv6: ZIpv6,
  dns: z.array(ZIp).max(3, { error: 'at most 3 DNS servers' }).default([]),
  searchDomains: z.array(ZDomain).max(6, { error: 'at most 6 search domains' }).default([]),
})

export const ZSyslogForwarding = z
  .strictObject({
    host: ZServer,
    port: z.number({ error: 'expected a port number' }).int().min(1).max(65535),
    protocol: z.enum(['udp', 'tcp'], { error: 'choose udp or tcp' }),
    /** TLS (rsyslog's gtls stream driver; the server's name is checked against the system CAs) */
    tls: z.boolean().default(false),
  })
  .refine((s) => !s.tls || s.protocol === 'tcp', { error: 'TLS needs protocol tcp', path: ['tls'] })

export const ZHostSettings = z.strictObject({
  hostname: ZHostname,
  network: ZNetwork,
  ntp: z.strictObject({ servers: z.array(ZServer).max(8, { error: 'at most 8 NTP servers' }).default([]) }),
  /** null: no forwarding (logs stay in the journal) */
  syslog: ZSyslogForwarding.nullable().default(null),
})
export type HostSettings = z.infer<typeof ZHostSettings>

/** What a fresh appliance uses: DHCP and router advertisements, Debian's NTP pool, no forwarding. */
export const DEFAULT_HOST_SETTINGS: HostSettings = {
  hostname: 'clawback',
  network: { interface: 'en*', ipv4: { mode: 'dhcp' }, ipv6: { mode: 'auto' }, dns: [], searchDomains: [] },
  ntp: { servers: [] },
  syslog: null,
}

/**
 * Validates host settings. @throws AppError INVALID_REQUEST "field.path: message" for the first
 * problem; the message never repeats the submitted value.
 */
export const parseHostSettings = (input: unknown): HostSettings => {
  return parseOr400(ZHostSettings, input, 'settings')
}
