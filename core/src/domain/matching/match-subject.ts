import { type Endpoint, endpointHosts } from '../alerts/alert-model.ts'

/**
 * What a condition is evaluated against: one alert, its e-mails, and the state of its incident at
 * evaluation time (score, severity, state, field values — so a later verdict can match).
 */
export type MatchSubject = {
  alert: {
    classification: string
    severity: string
    summary: string
    linkAttribute: string | null
    attackers: unknown
    threatInfo: unknown
    customFields: unknown
  }
  emails: {
    sender: string
    recipients: string[]
    subject: string
    messageId: string | null
    urls: string[]
    attachments: unknown
  }[]
  incident: { score: number; severity: string; state: string; fields: Record<string, string | null> } | null
}

const lower = (v: unknown) => (v === undefined || v === null || v === '' ? [] : [String(v).toLowerCase()])
const domainOf = (address: string) => {
  const at = address.lastIndexOf('@')
  return at >= 0 ? address.slice(at + 1).toLowerCase() : ''
}
const urlDomain = (url: string) => {
  try {
    return new URL(url).hostname.toLowerCase()
  } catch {
    return ''
  }
}
const attachments = (s: MatchSubject) =>
  s.emails.flatMap((e) => (Array.isArray(e.attachments) ? (e.attachments as Record<string, unknown>[]) : []))
/** An alert's attacker hosts as its incident lists them (stored endpoints, normalize-alert). */
const hostsOf = (list: unknown) =>
  (Array.isArray(list) ? list : []).flatMap((a) => (a && typeof a === 'object' ? endpointHosts(a as Endpoint) : [a]))

type Reader = (s: MatchSubject) => string[]
const READERS: Record<string, Reader> = {
  classification: (s) => lower(s.alert.classification),
  severity: (s) => lower(s.alert.severity),
  summary: (s) => lower(s.alert.summary),
  link_attribute: (s) => lower(s.alert.linkAttribute),
  'email.sender': (s) => s.emails.flatMap((e) => lower(e.sender)),
  'email.sender_domain': (s) => s.emails.flatMap((e) => lower(domainOf(e.sender))),
  'email.recipient': (s) => s.emails.flatMap((e) => e.recipients.flatMap(lower)),
  'email.recipient_domain': (s) => s.emails.flatMap((e) => e.recipients.flatMap((r) => lower(domainOf(r)))),
  'email.subject': (s) => s.emails.flatMap((e) => lower(e.subject)),
  'email.message_id': (s) => s.emails.flatMap((e) => lower(e.messageId)),
  'email.url': (s) => s.emails.flatMap((e) => e.urls.flatMap(lower)),
  'email.url_domain': (s) => s.emails.flatMap((e) => e.urls.flatMap((u) => lower(urlDomain(u)))),
  'email.attachment_sha256': (s) => attachments(s).flatMap((a) => lower(a.sha256)),
  'email.attachment_name': (s) => attachments(s).flatMap((a) => lower(a.name ?? a.filename)),
  'attacker.host': (s) => hostsOf(s.alert.attackers).flatMap(lower),
  'incident.score': (s) => lower(s.incident?.score),
  'incident.severity': (s) => lower(s.incident?.severity),
  'incident.state': (s) => lower(s.incident?.state),
  'incident.abuse_disposition': (s) => lower(s.incident?.fields['Abuse Disposition']),
}

const readers = new Map<string, Reader>()

/** The reader of a field name (validated by ZCondition); values are lower-cased strings. */
export const readerOf = (field: string): Reader => {
  let reader = readers.get(field)
  if (!reader) {
    reader = makeReader(field)
    readers.set(field, reader)
  }
  return reader
}

const makeReader = (field: string): Reader => {
  const known = READERS[field]
  if (known) return known
  if (field.startsWith('custom.')) {
    const key = field.slice(7)
    return (s) => lower((s.alert.customFields as Record<string, unknown>)?.[key])
  }
  if (field.startsWith('threat.')) {
    const key = field.slice(7)
    return (s) => lower((s.alert.threatInfo as Record<string, unknown>)?.[key])
  }
  if (field.startsWith('incident.field.')) {
    const name = field.slice(15)
    return (s) => lower(s.incident?.fields[name])
  }
  return () => []
}

/**
 * A subject's facts by field name, each read once however many conditions test it (200
 * conditions over a handful of fields: parsing every URL once instead of once per condition).
 */
export type Facts = (field: string) => readonly string[]
export const factsOf = (s: MatchSubject): Facts => {
  const seen = new Map<string, string[]>()
  return (field) => {
    let values = seen.get(field)
    if (!values) {
      values = readerOf(field)(s)
      seen.set(field, values)
    }
    return values
  }
}

/** What loading subjects must read for these fields; the rest of an alert is not read. */
export type SubjectNeeds = {
  emails: boolean
  attackers: boolean
  incident: boolean
  /** incident field names (Abuse Disposition is one) */
  incidentFields: string[]
  customKeys: string[]
  threatKeys: string[]
}
export const needsOf = (fields: Iterable<string>): SubjectNeeds => {
  const needs: SubjectNeeds = {
    emails: false,
    attackers: false,
    incident: false,
    incidentFields: [],
    customKeys: [],
    threatKeys: [],
  }
  for (const f of new Set(fields)) {
    if (f.startsWith('email.')) needs.emails = true
    else if (f.startsWith('attacker.')) needs.attackers = true
    else if (f.startsWith('custom.')) needs.customKeys.push(f.slice(7))
    else if (f.startsWith('threat.')) needs.threatKeys.push(f.slice(7))
    else if (f.startsWith('incident.')) {
      needs.incident = true
      if (f === 'incident.abuse_disposition') needs.incidentFields.push('Abuse Disposition')
      else if (f.startsWith('incident.field.')) needs.incidentFields.push(f.slice(15))
    }
  }
  return needs
}
