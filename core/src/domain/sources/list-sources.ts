import { asc } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { sources } from '../../db/schema/index.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { presentSource } from './create-source.ts'

/** Every source, by name. @throws AppError FORBIDDEN without sources.read. */
export const listSources = async (db: Db, actor: Actor) => {
  assertCan(actor, 'sources.read')
  return (await db.select().from(sources).orderBy(asc(sources.name))).map(presentSource)
}
