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
import { wakeLinkers } from '../intake/append-intake.ts'
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

/** One report taken apart and its blobs written: the row of `abuse_reports` and the intake-log entry it becomes. */
const prepareReport = async (dataDir: string, source: AbuseSourceRef, providerKey: string, raw: Buffer) => {
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
  return {
    pending,
    row: {
      provider_key: providerKey,
      reporter,
      reporter_name: x.report.reporterName ?? '',
      reported_at: x.report.reportedAt,
      subject: x.report.subject,
      original_format: x.original.format,
      original_message_id: original.messageId && storable(original.messageId),
      report_sha256: reportBlob.sha256,
      original_sha256: originalBlob.sha256,
    },
  }
}

/**
 * Stores user reports read from one abuse mailbox, exactly once per (source, provider key):
 * extracts each original (domain/reports), keeps each report and original as blobs, then in ONE
 * statement (one commit for the whole batch) records the keys in `abuse_reports` and appends the
 * alerts of the keys not recorded before to the intake log, and notifies the linker (which makes
 * them incidents, linked by the original's Message-ID). Each alert carries the original (its
 * fields: sender, recipients, subject, Message-ID, URLs, attachments with hashes, authentication
 * results; downloadable) and the report as the abuse copy (sender = the reporter). Answers per key
 * `stored` with its alert id, or `duplicate` when the key was recorded before (a crash between
 * commit and move). All or nothing: when the statement fails nothing of the batch exists.
 */
export const ingestAbuseReports = async (
  db: Db,
  dataDir: string,
  source: AbuseSourceRef,
  reports: [providerKey: string, raw: Buffer][],
): Promise<Map<string, { status: 'stored'; alertId: number } | { status: 'duplicate' }>> => {
  const out = new Map<string, { status: 'stored'; alertId: number } | { status: 'duplicate' }>()
  if (reports.length === 0) return out
  const prepared = []
  for (const [key, raw] of reports) prepared.push(await prepareReport(dataDir, source, key, raw))
  const alertIds = await takeAlertIds(db, prepared.length)
  const rows = prepared.map((p, i) => {
    const { alert_id: _, ...item } = toBatchItem(p.pending, alertIds[i]!, false)
    return { ...p.row, alert_id: alertIds[i]!, raw: p.pending.raw, item }
  })
  // one parameter (the batch as JSON), so the statement is prepared once whatever the batch size
  const stored = await db.$client<{ provider_key: string; alert_id: string }[]>`
    WITH batch AS (
      SELECT * FROM jsonb_to_recordset(${storableJson(rows)}::jsonb) AS b(provider_key text, alert_id bigint,
        reporter text, reporter_name text, reported_at timestamptz, subject text, original_format text,
        original_message_id text, report_sha256 text, original_sha256 text, raw text, item jsonb)
    ), rec AS (
      INSERT INTO abuse_reports (source_id, provider_key, alert_id, reporter, reporter_name, reported_at, subject,
        original_format, original_message_id, report_sha256, original_sha256)
      SELECT ${source.id}, provider_key, alert_id, reporter, reporter_name, reported_at, subject, original_format,
        original_message_id, report_sha256, original_sha256 FROM batch
      ON CONFLICT (source_id, provider_key) DO NOTHING
      RETURNING provider_key, alert_id
    ), ins AS (
      INSERT INTO intake_log (alert_id, source_id, raw, item)
      SELECT b.alert_id, ${source.id}, b.raw, b.item FROM batch b JOIN rec ON rec.alert_id = b.alert_id
      RETURNING alert_id
    )
    SELECT rec.provider_key, rec.alert_id::text FROM rec`
  if (stored.length > 0) wakeLinkers(db)
  for (const r of stored) out.set(r.provider_key, { status: 'stored', alertId: Number(r.alert_id) })
  for (const [key] of reports) if (!out.has(key)) out.set(key, { status: 'duplicate' })
  return out
}

/** One report (`ingestAbuseReports` of one): `stored` with its alert id, or `duplicate`. */
export const ingestAbuseReport = async (
  db: Db,
  dataDir: string,
  source: AbuseSourceRef,
  providerKey: string,
  raw: Buffer,
): Promise<{ status: 'stored'; alertId: number } | { status: 'duplicate' }> =>
  (await ingestAbuseReports(db, dataDir, source, [[providerKey, raw]])).get(providerKey)!
