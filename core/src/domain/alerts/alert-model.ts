import type { LinkKey } from './link-key.ts'

/**
 * The normalised alert: what Clawback stores of an alert, whatever brought it (the JSON alert
 * reader in domain/intake/normalize-alert.ts, pollers, mailbox sources). Build one of these and
 * hand it to intake; linking (link-key.ts) and the incident it opens (below) depend only on it.
 */
export type NormalizedEmail = {
  messageId: string | null
  sender: string
  recipients: string[]
  subject: string
  deliveredAt: string | null
  headers: Record<string, unknown>
  urls: string[]
  attachments: { name: string; size: number | null; contentType: string; md5: string; sha256: string }[]
  isAbuseCopy: boolean
  /** the stored message (blob sha256) behind this e-mail: an abuse report or its reported original */
  originalSha256?: string | null
}

export type Endpoint = Partial<
  Record<'ip_address' | 'mac_address' | 'host_name' | 'machine_name' | 'url' | 'user', string>
> & { port?: number }

export type NormalizedAlert = {
  jsonVersion: string
  summary: string
  description: string
  classification: string
  severity: Severity
  attackers: Endpoint[]
  targets: Endpoint[]
  cncHosts: { host: string; port?: number }[]
  forensicsHosts: { host: string; port?: number }[]
  detector: Record<string, unknown>
  threatInfo: Record<string, unknown>
  customFields: Record<string, unknown>
  linkAttribute: string | null
  emails: NormalizedEmail[]
}

export const CLASSIFICATIONS = [
  'malware',
  'policy-violation',
  'vulnerability',
  'network',
  'spam',
  'phish',
  'command-and-control',
  'data-match',
  'authentication',
  'system-behavior',
  'impostor',
  'reported-abuse',
  'unknown',
] as const

export const SEVERITIES = ['info', 'minor', 'moderate', 'major', 'critical'] as const
export type Severity = (typeof SEVERITIES)[number]
export const SEVERITY_ALIASES: Record<string, Severity> = {
  info: 'info',
  informational: 'info',
  minor: 'minor',
  low: 'minor',
  moderate: 'moderate',
  medium: 'moderate',
  major: 'major',
  high: 'major',
  critical: 'critical',
}

export const LINK_ATTRIBUTES = [
  'target_ip_address',
  'target_hostname',
  'target_machine_name',
  'target_user',
  'target_mac_address',
  'attacker_ip_address',
  'attacker_hostname',
  'attacker_machine_name',
  'attacker_user',
  'attacker_mac_address',
  'email_recipient',
  'email_sender',
  'email_subject',
  'message_id',
  'threat_filename',
  'threat_filehash',
] as const

/**
 * Most recipients one alert's e-mail may list. A real message reaches at most a few thousand
 * mailboxes; beyond this a single row grows to megabytes (every read, match and backup of it pays).
 */
export const MAX_RECIPIENTS = 10_000

/** Message ids are stored and matched with angle brackets, as the compatible API shows them. */
export const bracketMessageId = (id: string) => {
  const t = id.trim()
  if (!t) return t
  return t.startsWith('<') ? t : `<${t.replace(/>$/, '')}>`
}

/** The hosts an endpoint names (address, host name, URL): an attacker's hosts on its incident and to match conditions. */
export const endpointHosts = (e: Endpoint) => [e.ip_address, e.host_name, e.url].filter((h): h is string => !!h)

/** What an alert adds to its incident's hosts (attacker / cnc / forensics / url). */
export const hostsOf = (a: NormalizedAlert) => {
  const out: { kind: string; host: string }[] = []
  for (const e of a.attackers) for (const h of endpointHosts(e)) out.push({ kind: 'attacker', host: h })
  for (const h of a.cncHosts) out.push({ kind: 'cnc', host: h.host })
  for (const h of a.forensicsHosts) out.push({ kind: 'forensics', host: h.host })
  for (const m of a.emails) for (const u of m.urls) out.push({ kind: 'url', host: u })
  const tu = a.threatInfo.url
  if (typeof tu === 'string' && tu) out.push({ kind: 'url', host: tu })
  return out
}

/** What an alert adds to its incident's users (targets: recipients and target users; attackers). */
export const usersOf = (a: NormalizedAlert) => {
  const out: { kind: string; username: string }[] = []
  for (const m of a.emails) for (const r of m.recipients) out.push({ kind: 'targets', username: r })
  for (const t of a.targets) if (t.user) out.push({ kind: 'targets', username: t.user })
  for (const t of a.attackers) if (t.user) out.push({ kind: 'attackers', username: t.user })
  return out
}

/** One alert ready for intake: its source, the raw payload verbatim, the normalised fields, its link key. */
export type PendingAlert = {
  sourceId: number
  raw: string
  rawContentType?: string
  alert: NormalizedAlert
  link: LinkKey | null
}
