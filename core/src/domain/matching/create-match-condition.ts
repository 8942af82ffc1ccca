import { eq, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { matchConditions, sources } from '../../db/schema/index.ts'
import { notFound } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { appendAudit } from '../audit/append-audit.ts'
import { parseMatchConditionInput } from './match-condition-input.ts'
import { presentMatchCondition } from './present-match-condition.ts'

/**
 * Adds a match condition to a source (last, unless a position is given). Created disabled unless
 * `isEnabled` — dry-run it first. Audited. @throws FORBIDDEN (sources.write), NOT_FOUND, INVALID_REQUEST
 */
export const createMatchCondition = async (db: Db, actor: Actor, sourceId: number, raw: unknown) => {
  assertCan(actor, 'sources.write')
  const input = parseMatchConditionInput(raw)
  return db.transaction(async (tx) => {
    const [source] = await tx.select({ id: sources.id }).from(sources).where(eq(sources.id, sourceId)).for('update')
    if (!source) throw notFound('source')
    const [{ next }] = (await tx
      .select({ next: sql<number>`coalesce(max(${matchConditions.position}) + 1, 0)::int` })
      .from(matchConditions)
      .where(eq(matchConditions.sourceId, sourceId))) as [{ next: number }]
    const [row] = await tx
      .insert(matchConditions)
      .values({
        sourceId,
        position: input.position ?? next,
        name: input.name,
        description: input.description,
        condition: input.condition,
        responses: input.responses,
        isAutomatic: input.isAutomatic,
        isEnabled: input.isEnabled,
        stopProcessing: !input.continueAfterMatch,
        createdBy: actor.userId,
      })
      .returning()
    const shown = presentMatchCondition(row!)
    await appendAudit(tx, actor, {
      action: 'match_condition.create',
      objectType: 'match_condition',
      objectId: row!.id,
      after: shown,
    })
    return shown
  })
}
