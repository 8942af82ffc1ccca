import { readFileSync } from 'node:fs'
import { and, desc, eq, inArray, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { alertEmails, alerts, enrichmentFindings, incidentFields, incidentFieldValues } from '../../db/schema/index.ts'
import { AppError } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { blobPath, putBlob } from '../attachments/blob-store.ts'
import { updateIncidentFields } from '../incidents/update-incident-fields.ts'
import { extractReport } from '../reports/extract-report.ts'
import { readMsgFile } from '../reports/read-msg-file.ts'
import type { ReportedOriginal } from '../reports/report-types.ts'
import { sniffContentType } from '../reports/sniff-content-type.ts'
import { ABUSE_DISPOSITION_OF, ANALYSIS_KIND, ANALYSIS_SOURCE, type AnalysisFinding } from './analysis-types.ts'
import { analyzeMessage } from './analyze-message.ts'
import { gatherAnalysisContext } from './gather-analysis-context.ts'
import { type DnsResolver, verifyDkim } from './verify-dkim.ts'

type AnalyzeIncidentOptions = {
  actor: Actor
  incidentId: number
  dataDir: string
  protectedDomains: string[]
  lists: string[]
  /** the response run asking; a run that already stored its finding gets it back (job retries) */
  runId?: number
  resolver?: DnsResolver
}

const loadOriginal = async (bytes: Buffer): Promise<ReportedOriginal> => {
  if (sniffContentType(bytes) === 'application/vnd.ms-outlook') {
    const m = await readMsgFile(bytes)
    return { ...m.facts, format: 'msg', raw: bytes, rawType: 'application/vnd.ms-outlook', isIntact: false }
  }
  return (await extractReport(bytes)).original
}

/**
 * Analyses the incident's reported original: the newest alert e-mail with a stored original
 * message (the reported original before the report copy), taken apart like a user report, checked
 * with our own DKIM verification where intact, scored by the rules. Stores the verdict (score,
 * disposition, reasons, the original's blob) as an enrichment finding and sets the incident's
 * Abuse Disposition — a field change in the disposition history that re-runs the match
 * conditions — unless an analyst set another value since the last verdict (then it is kept).
 * @throws AppError NOT_FOUND when no alert of the incident carries a stored original message.
 */
export const analyzeIncident = async (db: Db, o: AnalyzeIncidentOptions): Promise<AnalysisFinding> => {
  if (o.runId !== undefined) {
    const [done] = await db
      .select({ data: enrichmentFindings.data })
      .from(enrichmentFindings)
      .where(
        and(
          eq(enrichmentFindings.incidentId, o.incidentId),
          eq(enrichmentFindings.kind, ANALYSIS_KIND),
          sql`${enrichmentFindings.data}->>'runId' = ${String(o.runId)}`,
        ),
      )
    if (done) return done.data as AnalysisFinding
  }
  const [email] = await db
    .select({ alertId: alertEmails.alertId, sha256: alertEmails.originalSha256, receivedAt: alerts.receivedAt })
    .from(alertEmails)
    .innerJoin(alerts, eq(alerts.id, alertEmails.alertId))
    .where(and(eq(alerts.incidentId, o.incidentId), sql`${alertEmails.originalSha256} is not null`))
    .orderBy(alertEmails.isAbuseCopy, desc(alerts.receivedAt), desc(alertEmails.id))
    .limit(1)
  if (!email?.sha256) throw new AppError('NOT_FOUND', 'original message: none stored for this incident')
  let bytes: Buffer
  try {
    bytes = readFileSync(blobPath(o.dataDir, email.sha256))
  } catch {
    throw new AppError('NOT_FOUND', 'original message: blob missing from the data directory')
  }
  const original = await loadOriginal(bytes)
  const dkim = original.isIntact ? await verifyDkim(original.raw, o.resolver) : undefined
  const ctx = await gatherAnalysisContext(db, original, {
    incidentId: o.incidentId,
    before: email.receivedAt,
    protectedDomains: o.protectedDomains,
    lists: o.lists,
    dkim,
  })
  const analysis = analyzeMessage(original, ctx)
  const { sha256: originalSha256 } = putBlob(o.dataDir, original.raw)
  const target = ABUSE_DISPOSITION_OF[analysis.disposition]
  return db.transaction(async (tx) => {
    // Serialise verdicts on one incident: the previous verdict decides whether we may override.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`analysis:${o.incidentId}`}, 7))`)
    const [previous] = await tx
      .select({ data: enrichmentFindings.data })
      .from(enrichmentFindings)
      .where(and(eq(enrichmentFindings.incidentId, o.incidentId), eq(enrichmentFindings.kind, ANALYSIS_KIND)))
      .orderBy(desc(enrichmentFindings.id))
      .limit(1)
    const [current] = await tx
      .select({ value: incidentFieldValues.value })
      .from(incidentFieldValues)
      .innerJoin(incidentFields, eq(incidentFields.id, incidentFieldValues.fieldId))
      .where(and(eq(incidentFieldValues.incidentId, o.incidentId), inArray(incidentFields.name, ['Abuse Disposition'])))
    const ours = (previous?.data as AnalysisFinding | undefined)?.setDisposition ?? null
    const mayOverride = !current?.value || current.value === ours
    if (mayOverride)
      await updateIncidentFields(tx, o.actor, o.incidentId, { 'Abuse Disposition': target }, { allowOverride: true })
    const finding: AnalysisFinding = {
      ...analysis,
      runId: o.runId ?? null,
      alertId: email.alertId,
      format: original.format,
      originalSha256,
      subject: original.subject.slice(0, 500),
      sender: original.sender,
      messageId: original.messageId,
      setDisposition: mayOverride ? target : null,
    }
    await tx.insert(enrichmentFindings).values({
      incidentId: o.incidentId,
      alertId: email.alertId,
      source: ANALYSIS_SOURCE,
      kind: ANALYSIS_KIND,
      subject: original.messageId ?? originalSha256,
      data: finding,
    })
    return finding
  })
}
