import { eq } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { matchConditions } from '../../db/schema/index.ts'
import { notFound } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { appendAudit } from '../audit/append-audit.ts'
import { presentMatchCondition } from './present-match-condition.ts'

/** Deletes a match condition; runs it started keep their record (their condition link becomes empty). */
export const deleteMatchCondition = async (db: Db, actor: Actor, id: number) => {
  assertCan(actor, 'sources.write')
  return db.transaction(async (tx) => {
    const [row] = await tx.delete(matchConditions).where(eq(matchConditions.id, id)).returning()
    if (!row) throw notFound('match condition')
    await appendAudit(tx, actor, {
      action: 'match_condition.delete',
      objectType: 'match_condition',
      objectId: id,
      before: presentMatchCondition(row),
    })
    return { id, deleted: true as const }
  })
}
