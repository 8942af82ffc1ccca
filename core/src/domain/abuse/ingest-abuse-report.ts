import { and, eq, inArray } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { abuseReports } from '../../db/schema/index.ts'
import {
  bracketMessageId,
  MAX_RECIPIENTS,
  type NormalizedAlert,
  type NormalizedEmail,
  type PendingAlert,
} from '../alerts/alert-model.ts'
import type { LinkKey } from '../alerts/link-key.ts'
import { putBlob } from '../attachments/blob-store.ts'
import { INTAKE_CHANNEL } from '../intake/append-intake.ts'
import { takeAlertIds, toBatchItem } from '../intake/store-alerts.ts'
import { extractReport } from '../reports/extract-report.ts'
import type { ExtractedReport, MessageFacts } from '../reports/report-types.ts'

/** PostgreSQL stores no NUL and no unpaired surrogate; a report's headers may carry either. */
const storable = (v: string) => v.replace(/\0/g, '').toWellFormed()
const storableJson = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'string' ? storable(x) : x))

export type AbuseSourceRef = { id: number; name: string; mailbox: string }

/** Which of these keys of this source are recorded already (then the poller only moves them)? */
export const recordedKeys = async (db: Db, sourceId: number, providerKeys: string[]) =>
  new Set(
    providerKeys.length === 0
      ? []
      : (
          await db
            .select({ key: abuseReports.providerKey })
            .from(abuseReports)
            .where(and(eq(abuseReports.sourceId, sourceId), inArray(abuseReports.providerKey, providerKeys)))
        ).map((r) => r.key),
  )

const addresses = (list: string[]) => [...new Set(list.map((a) => a.toLowerCase()).filter(Boolean))]

const emailOf = (f: MessageFacts, isAbuseCopy: boolean, originalSha256: string): NormalizedEmail => ({
  messageId: f.messageId ? bracketMessageId(f.messageId) : null,
  sender: (f.sender ?? '').toLowerCase(),
  recipients: addresses([...f.recipients.to, ...f.recipients.cc]).slice(0, MAX_RECIPIENTS),
  subject: f.subject,
  deliveredAt: f.date,
  headers: {
    ...(f.senderName ? { 'from-name': f.senderName } : {}),
    ...(f.replyTo.length ? { 'reply-to': f.replyTo } : {}),
    ...(f.returnPath ? { 'return-path': f.returnPath } : {}),
    ...(f.authenticationResults.length ? { 'authentication-results': f.authenticationResults } : {}),
    ...(f.received.length ? { received: f.received } : {}),
  },
  urls: f.urls,
  attachments: f.attachments.map((a) => ({
    name: a.filename,
    size: a.size,
    contentType: a.sniffedType || a.declaredType,
    md5: a.md5,
    sha256: a.sha256,
  })),
  isAbuseCopy,
  originalSha256,
})

/**
 * What a report links on: the original's Message-ID (so every user reporting one phish lands in one
 * incident); an original without one (an inline forward) links on its sender and subject for a
 * day, never on the report's own Message-ID.
 */
const linkOf = (x: ExtractedReport, sourceId: number): LinkKey | null => {
  const o = x.original
  if (o.messageId) return { key: `mid:${bracketMessageId(o.messageId)}`, windowSeconds: null }
  if (o.sender && o.subject)
    return {
      key: `rule:report:${sourceId}:${o.sender.toLowerCase()}|${o.subject.trim().toLowerCase()}`,
      windowSeconds: 86_400,
    }
  return null
}

const EMPTY_FACTS: MessageFacts = {
  sender: null,
  senderName: null,
  replyTo: [],
  returnPath: null,
  recipients: { to: [], cc: [] },
  subject: '',
  messageId: null,
  date: null,
  received: [],
  authenticationResults: [],
  urls: [],
  attachments: [],
  bulkHeaders: {},
}

/** Takes a report apart; a message even mailparser cannot read is kept whole as its own original. */
const extract = async (raw: Buffer): Promise<ExtractedReport> => {
  try {
    return await extractReport(raw)
  } catch {
    return {
      report: { reporter: null, reporterName: null, reportedAt: null, subject: '', messageId: null, button: null },
      original: { ...EMPTY_FACTS, format: 'direct', raw, rawType: 'message/rfc822', isIntact: false },
    }
  }
}

/**
 * Stores one user report read from an abuse mailbox, exactly once per (source, provider key):
 * extracts the original (domain/reports), keeps the report and the original as blobs, then in ONE
 * transaction records the key in `abuse_reports` and appends the alert to the intake log (the
 * linker makes it an incident, linked by the original's Message-ID). The alert carries the original
 * (its fields: sender, recipients, subject, Message-ID, URLs, attachments with hashes,
 * authentication results; downloadable) and the report as the abuse copy (sender = the reporter).
 * Returns `duplicate` when the key was recorded before (a crash between commit and move).
 */
export const ingestAbuseReport = async (
  db: Db,
  dataDir: string,
  source: AbuseSourceRef,
  providerKey: string,
  raw: Buffer,
): Promise<{ status: 'stored'; alertId: number } | { status: 'duplicate' }> => {
  const x = await extract(raw)
  x.report.subject = storable(x.report.subject)
  x.report.reporterName = x.report.reporterName && storable(x.report.reporterName)
  const reportBlob = putBlob(dataDir, raw)
  const originalBlob = putBlob(dataDir, x.original.raw)
  const reporter = (x.report.reporter ?? '').toLowerCase()
  const original = emailOf(x.original, false, originalBlob.sha256)
  const report: NormalizedEmail = {
    ...emailOf(
      {
        ...EMPTY_FACTS,
        sender: reporter,
        subject: x.report.subject,
        messageId: x.report.messageId,
        date: x.report.reportedAt,
      },
      true,
      reportBlob.sha256,
    ),
    recipients: [source.mailbox],
  }
  const alert: NormalizedAlert = {
    jsonVersion: 'abuse-mailbox',
    summary: `User report: ${x.original.subject || '(no subject)'}`.slice(0, 1000),
    description: `Reported by ${reporter || 'an unknown sender'} to ${source.mailbox} (original ${x.original.format})`,
    classification: 'reported-abuse',
    severity: 'info',
    attackers: original.sender ? [{ user: original.sender }] : [],
    targets: [],
    cncHosts: [],
    forensicsHosts: [],
    detector: { product: 'Clawback abuse mailbox', source: source.name },
    threatInfo: {},
    customFields: {
      reporter,
      reportFormat: x.original.format,
      ...(x.report.button ? { reportButton: `${x.report.button.vendor}:${x.report.button.verdict}` } : {}),
    },
    linkAttribute: null,
    emails: [original, report],
  }
  const pending: PendingAlert = {
    sourceId: source.id,
    raw: JSON.stringify({
      abuseReport: { providerKey, reportSha256: reportBlob.sha256, originalSha256: originalBlob.sha256 },
    }),
    alert,
    link: linkOf(x, source.id),
  }
  const [alertId] = (await takeAlertIds(db, 1)) as [number]
  const { alert_id: _, ...item } = toBatchItem(pending, alertId, false)
  return db.$client.begin(async (sql) => {
    const [rec] = await sql<{ id: string }[]>`
      INSERT INTO abuse_reports (source_id, provider_key, alert_id, reporter, reporter_name, reported_at, subject,
        original_format, original_message_id, report_sha256, original_sha256)
      VALUES (${source.id}, ${providerKey}, ${alertId}, ${reporter}, ${x.report.reporterName ?? ''},
        ${x.report.reportedAt}, ${x.report.subject}, ${x.original.format}, ${original.messageId && storable(original.messageId)},
        ${reportBlob.sha256}, ${originalBlob.sha256})
      ON CONFLICT (source_id, provider_key) DO NOTHING
      RETURNING id`
    if (!rec) return { status: 'duplicate' as const }
    await sql`
      WITH ins AS (INSERT INTO intake_log (alert_id, source_id, raw, item)
        VALUES (${alertId}, ${source.id}, ${pending.raw}, ${storableJson(item)}))
      SELECT pg_notify(${INTAKE_CHANNEL}, '')`
    return { status: 'stored' as const, alertId }
  })
}
