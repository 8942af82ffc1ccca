import { X509Certificate } from 'node:crypto'
import { z } from 'zod'
import type { Manifest } from '../types.ts'

/** `ldaps://host[:port]` or `ldap://host[:port]`: scheme, host and port only. */
const isLdapUrl = (value: string) => {
  try {
    const u = new URL(value)
    return (
      (u.protocol === 'ldaps:' || u.protocol === 'ldap:') &&
      u.hostname !== '' &&
      !u.username &&
      !u.password &&
      (u.pathname === '' || u.pathname === '/') &&
      !u.search &&
      !u.hash
    )
  } catch {
    return false
  }
}

const isPemCertificate = (value: string) => {
  try {
    new X509Certificate(value)
    return true
  } catch {
    return false
  }
}

export const ZAdSettings = z.strictObject({
  /** `ldaps://dc1.corp.example:636`, or `ldap://dc1.corp.example` (StartTLS unless `startTls` is off) */
  url: z.string().max(300).refine(isLdapUrl, 'expected ldaps://host[:port] or ldap://host[:port]'),
  /** ldap:// only: upgrade with StartTLS before binding. Off sends the password in clear; AD refuses that (code 8). */
  startTls: z.boolean().default(true),
  /** where groups and users are searched, e.g. DC=corp,DC=example */
  baseDn: z.string().min(1).max(1000),
  /** the read-only account: a DN, or a UPN (svc-clawback@corp.example) */
  bindDn: z.string().min(1).max(1000),
  /** PEM of the CA that issued the DC's certificate, when the system trust store does not hold it */
  caCertificate: z.string().max(65536).refine(isPemCertificate, 'expected a PEM certificate').optional(),
  /** skip certificate verification (never for production: the bind password then goes to anyone in the path) */
  tlsInsecure: z.boolean().default(false),
  /** results per page of a member search (AD's MaxPageSize is 1000) */
  pageSize: z.number().int().min(1).max(1000).default(500),
  /** also return members whose account is disabled (userAccountControl bit 2) */
  includeDisabled: z.boolean().default(false),
  timeoutSeconds: z.number().int().min(1).max(120).default(30),
})
export type AdSettings = z.infer<typeof ZAdSettings>

export const manifest = {
  kind: 'ad',
  title: 'Active Directory (LDAP)',
  description:
    'Expands distribution lists and security groups (nested, transitively) into their members over LDAPS or StartTLS. ' +
    'A read-only domain user suffices; the DC certificate must name the host in the URL; a DC inside the network ' +
    'needs the connector marked on-premises.',
  capabilities: ['directory.expand'],
  settings: ZAdSettings,
  secrets: [{ name: 'bindPassword', label: 'Password of the bind account', isRequired: true }],
  docs: 'docs/connectors/ad.md',
} as const satisfies Manifest<typeof ZAdSettings>
