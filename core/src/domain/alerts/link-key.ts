import type { Endpoint, NormalizedAlert } from './alert-model.ts'

/**
 * Per-source linking rules (stored in `sources.linking_rules`). Defaults: link alerts carrying the
 * same threat file hash, or the same attacker and target, to an open incident created within the
 * last 24 hours.
 */
export type LinkingRules = { byThreatHash: boolean; byAttackerTarget: boolean; windowHours: number }
export const DEFAULT_LINKING_RULES: LinkingRules = { byThreatHash: true, byAttackerTarget: true, windowHours: 24 }

export const linkingRulesOf = (raw: unknown): LinkingRules => {
  const r = (raw && typeof raw === 'object' ? raw : {}) as Partial<LinkingRules>
  return {
    byThreatHash: typeof r.byThreatHash === 'boolean' ? r.byThreatHash : DEFAULT_LINKING_RULES.byThreatHash,
    byAttackerTarget:
      typeof r.byAttackerTarget === 'boolean' ? r.byAttackerTarget : DEFAULT_LINKING_RULES.byAttackerTarget,
    windowHours:
      typeof r.windowHours === 'number' && r.windowHours > 0 ? r.windowHours : DEFAULT_LINKING_RULES.windowHours,
  }
}

/** A link key and, for rule keys, how old the incident it joins may be (null: any open incident). */
export type LinkKey = { key: string; windowSeconds: number | null }

const endpointValue = (e: Endpoint | undefined, attr: string) => {
  if (!e) return undefined
  switch (attr) {
    case 'ip_address':
      return e.ip_address
    case 'hostname':
      return e.host_name
    case 'machine_name':
      return e.machine_name
    case 'user':
      return e.user
    case 'mac_address':
      return e.mac_address
  }
  return undefined
}

const threat = (a: NormalizedAlert, ...names: string[]) => {
  for (const n of names) {
    const v = a.threatInfo[n]
    if (typeof v === 'string' && v) return v
  }
  return undefined
}

/** The value of a `link_attribute` on this alert, if it has one. */
export const linkAttributeValue = (a: NormalizedAlert, attr: string): string | undefined => {
  const email = a.emails[0]
  if (attr.startsWith('target_')) return endpointValue(a.targets[0], attr.slice(7))
  if (attr.startsWith('attacker_')) return endpointValue(a.attackers[0], attr.slice(9))
  switch (attr) {
    case 'email_recipient':
      return email?.recipients[0]
    case 'email_sender':
      return email?.sender || undefined
    case 'email_subject':
      return email?.subject || undefined
    case 'message_id':
      return email?.messageId ?? undefined
    case 'threat_filename':
      return threat(a, 'filename', 'fileName', 'file_name')
    case 'threat_filehash':
      return threat(a, 'filehash', 'fileHash', 'file_hash', 'sha256', 'md5')
  }
  return undefined
}

const endpointLabel = (e: Endpoint | undefined) =>
  e && (e.ip_address ?? e.host_name ?? e.url ?? e.user ?? e.machine_name ?? e.mac_address)

/**
 * Decides what an alert links on, in order: its explicit `link_attribute` (bypassing the rest),
 * else the first email's message-id, else the source's rules. Null: always a new incident.
 */
export const linkKeyOf = (a: NormalizedAlert, rules: LinkingRules): LinkKey | null => {
  if (a.linkAttribute) {
    const v = linkAttributeValue(a, a.linkAttribute)
    if (v)
      return {
        key: a.linkAttribute === 'message_id' ? `mid:${v}` : `la:${a.linkAttribute}:${v.toLowerCase()}`,
        windowSeconds: null,
      }
  }
  const mid = a.emails.find((e) => e.messageId)?.messageId
  if (mid) return { key: `mid:${mid}`, windowSeconds: null }
  const windowSeconds = Math.round(rules.windowHours * 3600)
  const hash = threat(a, 'filehash', 'fileHash', 'file_hash', 'sha256', 'md5')
  if (rules.byThreatHash && hash) return { key: `rule:hash:${hash.toLowerCase()}`, windowSeconds }
  const attacker = endpointLabel(a.attackers[0])
  const target = endpointLabel(a.targets[0])
  if (rules.byAttackerTarget && attacker && target)
    return { key: `rule:at:${attacker.toLowerCase()}|${target.toLowerCase()}`, windowSeconds }
  return null
}

const TYPES: Record<string, string> = {
  malware: 'Malware',
  phish: 'Phishing',
  spam: 'Spam',
  impostor: 'Impostor',
  'policy-violation': 'Policy Violation',
  vulnerability: 'Vulnerability',
  network: 'Network',
  'command-and-control': 'Command and Control',
  'data-match': 'Data Match',
  authentication: 'Authentication',
  'system-behavior': 'System Behavior',
  'reported-abuse': 'Reported Abuse',
  unknown: 'Unknown',
}
/** Incident type / Classification field value for an alert classification. */
export const incidentTypeOf = (classification: string) => TYPES[classification] ?? 'Unknown'

const INCIDENT_SEVERITY: Record<string, string> = {
  info: 'Informational',
  minor: 'Low',
  moderate: 'Medium',
  major: 'High',
  critical: 'Critical',
}
export const incidentSeverityOf = (severity: string) => INCIDENT_SEVERITY[severity] ?? 'Informational'
const SCORES: Record<string, number> = { info: 0, minor: 1000, moderate: 2000, major: 4000, critical: 5000 }
/** Score of a new incident: by the first alert's severity (0 informational … 5000 critical). */
export const scoreOf = (severity: string) => SCORES[severity] ?? 0
