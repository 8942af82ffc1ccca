import { eq } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.ts'
import { matchConditions } from '../../db/schema/index.ts'
import { notFound } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { presentMatchCondition } from './present-match-condition.ts'

/** One match condition. @throws FORBIDDEN (sources.read), NOT_FOUND */
export const getMatchCondition = async (db: DbOrTx, actor: Actor, id: number) => {
  assertCan(actor, 'sources.read')
  const [row] = await db.select().from(matchConditions).where(eq(matchConditions.id, id))
  if (!row) throw notFound('match condition')
  return presentMatchCondition(row)
}
