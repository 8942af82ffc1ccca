import { eq, inArray } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.ts'
import { alertEmails, alerts, incidentHosts, incidents } from '../../db/schema/index.ts'
import { notFound } from '../../errors.ts'

/** What responses draw their targets and placeholders from: one incident and everything its alerts carry. */
export type IncidentFacts = {
  incident: {
    id: number
    summary: string
    severity: string
    state: string
    score: number
    isPrivate: boolean
    teamId: number | null
  }
  senders: string[]
  senderDomains: string[]
  recipients: string[]
  /** who reported the incident's message to an abuse mailbox (the senders of the abuse copies) */
  reporters: string[]
  subjects: string[]
  messageIds: string[]
  urls: string[]
  urlDomains: string[]
  attachmentHashes: string[]
  attackerHosts: string[]
  hosts: { kind: string; host: string }[]
}

const uniq = (xs: (string | null | undefined)[]) => [...new Set(xs.filter((x): x is string => !!x))]
const domain = (a: string) => (a.includes('@') ? a.slice(a.lastIndexOf('@') + 1).toLowerCase() : '')
const urlHost = (u: string) => {
  try {
    return new URL(u).hostname.toLowerCase()
  } catch {
    return ''
  }
}

/** Reads one incident's facts (no visibility check: callers decided the actor may act on it). @throws NOT_FOUND */
export const readIncidentFacts = async (db: DbOrTx, incidentId: number): Promise<IncidentFacts> => {
  const [incident] = await db.select().from(incidents).where(eq(incidents.id, incidentId))
  if (!incident) throw notFound('incident')
  const alertRows = await db
    .select({ id: alerts.id, attackers: alerts.attackers })
    .from(alerts)
    .where(eq(alerts.incidentId, incidentId))
  const all = alertRows.length
    ? await db
        .select()
        .from(alertEmails)
        .where(
          inArray(
            alertEmails.alertId,
            alertRows.map((a) => a.id),
          ),
        )
    : []
  // A user report's own e-mail (the abuse copy) names the reporter and the abuse mailbox, not the
  // threat: responses act on the reported originals only (blocking the reporter would be wrong).
  const emails = all.filter((e) => !e.isAbuseCopy)
  const reporters = uniq(all.filter((e) => e.isAbuseCopy).map((e) => e.sender.toLowerCase()))
  const hosts = await db.select().from(incidentHosts).where(eq(incidentHosts.incidentId, incidentId))
  const senders = uniq(emails.map((e) => e.sender.toLowerCase()))
  const urls = uniq(emails.flatMap((e) => e.urls))
  return {
    incident: {
      id: incident.id,
      summary: incident.summary,
      severity: incident.severity,
      state: incident.state,
      score: incident.score,
      isPrivate: incident.isPrivate,
      teamId: incident.teamId,
    },
    senders,
    senderDomains: uniq(senders.map(domain)),
    recipients: uniq(emails.flatMap((e) => e.recipients.map((r) => r.toLowerCase()))),
    reporters,
    subjects: uniq(emails.map((e) => e.subject)),
    messageIds: uniq(emails.map((e) => e.messageId)),
    urls,
    urlDomains: uniq(urls.map(urlHost)),
    attachmentHashes: uniq(
      emails.flatMap((e) =>
        (Array.isArray(e.attachments) ? e.attachments : []).map((a) =>
          String((a as { sha256?: string }).sha256 ?? '').toLowerCase(),
        ),
      ),
    ),
    attackerHosts: uniq([
      ...alertRows.flatMap((a) =>
        (Array.isArray(a.attackers) ? a.attackers : []).map(
          (x) => (x as { ip?: string; host?: string })?.ip ?? (x as { host?: string })?.host,
        ),
      ),
      ...hosts.filter((h) => h.kind === 'attacker').map((h) => h.host),
    ]),
    hosts: hosts.map((h) => ({ kind: h.kind, host: h.host })),
  }
}
