import { asc, eq } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.ts'
import { matchConditions, sources } from '../../db/schema/index.ts'
import { notFound } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { presentMatchCondition } from './present-match-condition.ts'

/** A source's match conditions in evaluation order (also the export format). @throws FORBIDDEN, NOT_FOUND */
export const listMatchConditions = async (db: DbOrTx, actor: Actor, sourceId: number) => {
  assertCan(actor, 'sources.read')
  const [source] = await db.select({ id: sources.id }).from(sources).where(eq(sources.id, sourceId))
  if (!source) throw notFound('source')
  const rows = await db
    .select()
    .from(matchConditions)
    .where(eq(matchConditions.sourceId, sourceId))
    .orderBy(asc(matchConditions.position), asc(matchConditions.id))
  return rows.map(presentMatchCondition)
}
