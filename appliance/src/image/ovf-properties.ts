import { AppError } from '../../../core/src/errors.ts'
import { DEFAULT_HOST_SETTINGS, type HostSettings, parseHostSettings } from '../system/host-settings.ts'

/**
 * The first-boot properties of the OVA (packer/ova.ts declares them in the OVF's ProductSection).
 * VMware hands them to the guest as the OVF environment document (`guestinfo.ovfEnv`); under qemu
 * the boot test passes the same document through fw_cfg (`opt/clawback/ovfenv`).
 */
export const OVF_PROPERTIES = {
  hostname: 'host name (empty: clawback)',
  ip: 'IPv4 address/prefix, e.g. 192.0.2.10/24 (empty: DHCP)',
  gateway: 'IPv4 default gateway (with a static address)',
  dns: 'DNS servers, comma-separated (up to 3)',
  ntp: 'NTP servers, comma-separated (empty: Debian pool)',
  admin_password:
    'initial password of the admin user (empty: generated and shown on the VM console); it must be changed at first sign-in',
} as const

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }
const unescapeXml = (s: string) =>
  s.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);/gi, (_, e: string) =>
    e[0] === '#'
      ? String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1)))
      : (ENTITIES[e.toLowerCase()] ?? ''),
  )
const attr = (tag: string, name: string) => {
  const m = new RegExp(`(?:^|\\s)(?:[\\w-]+:)?${name}\\s*=\\s*("([^"]*)"|'([^']*)')`).exec(tag)
  return m ? unescapeXml(m[2] ?? m[3] ?? '') : undefined
}

/** `<Property oe:key="k" oe:value="v"/>` elements of an OVF environment document → { k: v }. */
export const parseOvfEnvironment = (xml: string): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const m of xml.matchAll(/<(?:[\w-]+:)?Property\b([^>]*)\/?>/g)) {
    const key = attr(m[1]!, 'key')
    const value = attr(m[1]!, 'value')
    if (key && value !== undefined && key in OVF_PROPERTIES) out[key] = value
  }
  return out
}

const list = (s: string | undefined) =>
  (s ?? '')
    .split(/[\s,]+/)
    .map((x) => x.trim())
    .filter(Boolean)

/**
 * The host settings the properties ask for (defaults where a property is empty), validated by the
 * same schema as the console's host settings. @throws AppError INVALID_REQUEST naming the property.
 */
export const hostSettingsFromProperties = (props: Record<string, string>): HostSettings => {
  const ip = props.ip?.trim()
  const settings = {
    ...DEFAULT_HOST_SETTINGS,
    hostname: props.hostname?.trim() || DEFAULT_HOST_SETTINGS.hostname,
    network: {
      ...DEFAULT_HOST_SETTINGS.network,
      ipv4: ip
        ? { mode: 'static' as const, address: ip, ...(props.gateway?.trim() ? { gateway: props.gateway.trim() } : {}) }
        : { mode: 'dhcp' as const },
      dns: list(props.dns),
    },
    ntp: { servers: list(props.ntp) },
  }
  try {
    return parseHostSettings(settings)
  } catch (err) {
    const msg = (err as Error).message
    const field = msg.startsWith('hostname')
      ? 'hostname'
      : msg.startsWith('network.ipv4.gateway')
        ? 'gateway'
        : msg.startsWith('network.ipv4')
          ? 'ip'
          : msg.startsWith('network.dns')
            ? 'dns'
            : msg.startsWith('ntp')
              ? 'ntp'
              : 'properties'
    throw new AppError('INVALID_REQUEST', `OVF property ${field}: ${msg.replace(/^[\w.]+: /, '')}`)
  }
}
