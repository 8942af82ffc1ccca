import { eq, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { investigations } from '../../db/schema/index.ts'
import { AppError } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { appendAudit } from '../audit/append-audit.ts'
import { addInvestigationHistory, withInvestigation } from './investigation-tx.ts'

/**
 * Edits name, description, state (open/closed) of an investigation.
 * @throws AppError FORBIDDEN, NOT_FOUND, INVALID_REQUEST.
 */
export const updateInvestigation = (
  db: Db,
  actor: Actor,
  id: number,
  input: { name?: string; description?: string; state?: 'open' | 'closed' },
) =>
  withInvestigation(db, actor, id, async (tx, before) => {
    if (input.name !== undefined && (!input.name.trim() || input.name.length > 300))
      throw new AppError('INVALID_REQUEST', 'name: 1 to 300 characters')
    const state = input.state ?? before.state
    const [row] = await tx
      .update(investigations)
      .set({
        name: input.name?.trim() ?? before.name,
        description: input.description ?? before.description,
        state,
        closedAt: state === 'closed' ? (before.closedAt ?? sql`now()`) : null,
        updatedAt: sql`now()`,
      })
      .where(eq(investigations.id, id))
      .returning()
    await addInvestigationHistory(tx, actor, id, {
      historyType: 'updated',
      summary: state !== before.state ? `state ${before.state} → ${state}` : 'edited',
    })
    await appendAudit(tx, actor, {
      action: 'investigation.update',
      objectType: 'investigation',
      objectId: id,
      before: { name: before.name, state: before.state },
      after: { name: row!.name, state },
    })
    return row!
  })
