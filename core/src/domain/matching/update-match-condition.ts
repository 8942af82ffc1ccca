import { eq, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { matchConditions } from '../../db/schema/index.ts'
import { notFound } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { appendAudit } from '../audit/append-audit.ts'
import { parseMatchConditionInput } from './match-condition-input.ts'
import { presentMatchCondition } from './present-match-condition.ts'

/** Changes a match condition (any subset of its fields); audited before/after. @throws FORBIDDEN, NOT_FOUND, INVALID_REQUEST */
export const updateMatchCondition = async (db: Db, actor: Actor, id: number, raw: unknown) => {
  assertCan(actor, 'sources.write')
  const input = parseMatchConditionInput(raw, true)
  return db.transaction(async (tx) => {
    const [before] = await tx.select().from(matchConditions).where(eq(matchConditions.id, id)).for('update')
    if (!before) throw notFound('match condition')
    const [row] = await tx
      .update(matchConditions)
      .set({
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.description !== undefined ? { description: input.description } : {}),
        ...(input.condition !== undefined ? { condition: input.condition } : {}),
        ...(input.responses !== undefined ? { responses: input.responses } : {}),
        ...(input.isAutomatic !== undefined ? { isAutomatic: input.isAutomatic } : {}),
        ...(input.isEnabled !== undefined ? { isEnabled: input.isEnabled } : {}),
        ...(input.continueAfterMatch !== undefined ? { stopProcessing: !input.continueAfterMatch } : {}),
        ...(input.position !== undefined ? { position: input.position } : {}),
        updatedAt: sql`now()`,
      })
      .where(eq(matchConditions.id, id))
      .returning()
    const shown = presentMatchCondition(row!)
    await appendAudit(tx, actor, {
      action: 'match_condition.update',
      objectType: 'match_condition',
      objectId: id,
      before: presentMatchCondition(before),
      after: shown,
    })
    return shown
  })
}
