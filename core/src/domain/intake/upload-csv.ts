import { randomUUID } from 'node:crypto'
import type { Keyring } from '../../crypto/master-secret.ts'
import type { Db } from '../../db/client.ts'
import { AppError } from '../../errors.ts'
import type { PgBoss } from '../../jobs/boss.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { textProblem } from '../../storable.ts'
import { getSource } from '../sources/get-source.ts'
import { bracketMessageId, hasNul, type NormalizedAlert } from './normalize-alert.ts'
import { parseCsv } from './parse-csv.ts'
import { storeAlerts } from './store-alerts.ts'

export type CsvRowError = { line: number; error: string }

const EMAIL = /^[^\s@<>]+@[^\s@<>]+$/
const MAX_ROWS = 50_000

/**
 * A CSV upload to a `csv` source: `message-id, recipient` per row (header optional, quoted fields,
 * BOM and CRLF accepted). Every row becomes an alert on ONE new incident, ready for quarantine.
 * All or nothing: when any row is rejected nothing is stored and the per-row report is returned in
 * the error (`details.rows`).
 * @throws AppError FORBIDDEN without sources.write, NOT_FOUND for an unknown/non-csv/disabled
 *   source, INVALID_REQUEST with the per-row report.
 */
export const uploadCsv = async (
  db: Db,
  boss: PgBoss,
  keyring: Keyring,
  actor: Actor,
  sourceId: number,
  text: string,
  filename = 'upload.csv',
) => {
  assertCan(actor, 'sources.write')
  const nameProblem = /[\r\n]/.test(filename) ? 'contains a line break' : textProblem(filename)
  if (nameProblem) throw new AppError('INVALID_REQUEST', `filename: ${nameProblem}`)
  const source = await getSource(db, keyring, actor, sourceId)
  if (source.type !== 'csv' || !source.isEnabled) throw new AppError('NOT_FOUND', 'no enabled CSV source with that id')
  const parsed = parseCsv(text)
  if ('error' in parsed) throw new AppError('INVALID_REQUEST', `csv: ${parsed.error}`, { rows: [] })
  let rows = parsed
  const first = rows[0]?.fields.map((f) => f.trim().toLowerCase().replace(/[\s_]/g, '-'))
  if (first && /message-?id/.test(first[0] ?? '') && /recipient|email/.test(first[1] ?? '')) rows = rows.slice(1)
  if (rows.length === 0) throw new AppError('INVALID_REQUEST', 'csv: no rows', { rows: [] })
  if (rows.length > MAX_ROWS) throw new AppError('INVALID_REQUEST', `csv: more than ${MAX_ROWS} rows`, { rows: [] })
  const errors: CsvRowError[] = []
  const good: { messageId: string; recipient: string }[] = []
  for (const r of rows) {
    if (r.fields.length !== 2) {
      errors.push({ line: r.line, error: `expected 2 fields (message-id, recipient), got ${r.fields.length}` })
      continue
    }
    const messageId = r.fields[0]!.trim()
    const recipient = r.fields[1]!.trim()
    if (!messageId || /\s/.test(messageId) || hasNul(messageId) || messageId.length > 998)
      errors.push({ line: r.line, error: 'message-id: missing or malformed' })
    else if (!EMAIL.test(recipient) || hasNul(recipient))
      errors.push({ line: r.line, error: 'recipient: not an email address' })
    else good.push({ messageId: bracketMessageId(messageId), recipient })
  }
  if (errors.length)
    throw new AppError('INVALID_REQUEST', `csv: ${errors.length} of ${rows.length} rows rejected; nothing was stored`, {
      rows: errors,
    })
  const link = { key: `csv:${randomUUID()}`, windowSeconds: null }
  const alert = (m: { messageId: string; recipient: string }): NormalizedAlert => ({
    jsonVersion: '2.0',
    summary: `CSV upload ${filename}`.slice(0, 300),
    description: '',
    classification: 'unknown',
    severity: 'info',
    attackers: [],
    targets: [],
    cncHosts: [],
    forensicsHosts: [],
    detector: { product: 'csv-upload', filename },
    threatInfo: {},
    customFields: {},
    linkAttribute: null,
    emails: [
      {
        messageId: m.messageId,
        sender: '',
        recipients: [m.recipient],
        subject: '',
        deliveredAt: null,
        headers: {},
        urls: [],
        attachments: [],
        isAbuseCopy: false,
      },
    ],
  })
  const stored = await storeAlerts(
    db,
    boss,
    good.map((m) => ({
      sourceId,
      raw: JSON.stringify({ message_id: m.messageId, recipient: m.recipient }),
      rawContentType: 'text/csv',
      alert: alert(m),
      link,
    })),
  )
  return { incidentId: stored[0]!.incidentId, alerts: stored.length }
}
