import type { Db } from '../../db/client.ts'
import { attachments } from '../../db/schema/index.ts'
import { AppError } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { appendAudit } from '../audit/append-audit.ts'
import { addHistory, lockIncident } from '../incidents/incident-tx.ts'
import { addInvestigationHistory, lockInvestigation } from '../investigations/investigation-tx.ts'
import { putBlob } from './blob-store.ts'

/**
 * Attaches a file to an incident or an investigation: bytes stored in the data directory by
 * SHA-256, metadata in `attachments`, a history record and an audit record.
 * @throws AppError FORBIDDEN, NOT_FOUND (invisible target), PAYLOAD_TOO_LARGE over maxBytes, INVALID_REQUEST.
 */
export const addAttachment = async (
  db: Db,
  actor: Actor,
  target: { incidentId: number } | { investigationId: number },
  file: { filename: string; contentType?: string; bytes: Uint8Array },
  limits: { dataDir: string; maxBytes: number },
) => {
  const isIncident = 'incidentId' in target
  assertCan(actor, isIncident ? 'incidents.write' : 'investigations.write')
  if (file.bytes.byteLength > limits.maxBytes)
    throw new AppError('PAYLOAD_TOO_LARGE', `file: larger than ${limits.maxBytes} bytes`)
  const filename = file.filename.replace(/[\\/\r\n\0]/g, '_').slice(0, 255) || 'attachment'
  return db.transaction(async (tx) => {
    if (isIncident) await lockIncident(tx, actor, target.incidentId)
    else await lockInvestigation(tx, actor, target.investigationId)
    const blob = putBlob(limits.dataDir, file.bytes)
    const [row] = await tx
      .insert(attachments)
      .values({
        incidentId: isIncident ? target.incidentId : null,
        investigationId: isIncident ? null : target.investigationId,
        filename,
        contentType: file.contentType || 'application/octet-stream',
        size: blob.size,
        sha256: blob.sha256,
        uploadedBy: actor.userId,
      })
      .returning()
    if (isIncident) await addHistory(tx, actor, target.incidentId, { historyType: 'attachment', summary: filename })
    else
      await addInvestigationHistory(tx, actor, target.investigationId, { historyType: 'attachment', summary: filename })
    await appendAudit(tx, actor, {
      action: 'attachment.add',
      objectType: isIncident ? 'incident' : 'investigation',
      objectId: isIncident ? target.incidentId : target.investigationId,
      after: { attachmentId: row!.id, filename, sha256: blob.sha256, size: blob.size },
    })
    return row!
  })
}
