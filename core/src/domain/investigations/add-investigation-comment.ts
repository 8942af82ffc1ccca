import { eq, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { investigations } from '../../db/schema/index.ts'
import { AppError } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { appendAudit } from '../audit/append-audit.ts'
import { addInvestigationHistory, withInvestigation } from './investigation-tx.ts'

/** Adds a comment to an investigation. @throws AppError FORBIDDEN, NOT_FOUND, INVALID_REQUEST. */
export const addInvestigationComment = (
  db: Db,
  actor: Actor,
  id: number,
  input: { summary: string; detail?: string },
) =>
  withInvestigation(db, actor, id, async (tx) => {
    if (!input.summary.trim()) throw new AppError('INVALID_REQUEST', 'summary: required')
    const h = await addInvestigationHistory(tx, actor, id, {
      historyType: 'comment',
      summary: input.summary.trim(),
      detail: input.detail ?? '',
    })
    await tx.update(investigations).set({ updatedAt: sql`now()` }).where(eq(investigations.id, id))
    await appendAudit(tx, actor, {
      action: 'investigation.comment',
      objectType: 'investigation',
      objectId: id,
      after: { historyId: h.id },
    })
    return h
  })
