import { asc } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { lists } from '../../db/schema/index.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { presentList } from './create-list.ts'

/** Every list. @throws AppError FORBIDDEN without lists.read. */
export const listLists = async (db: Db, actor: Actor) => {
  assertCan(actor, 'lists.read')
  return (await db.select().from(lists).orderBy(asc(lists.name))).map(presentList)
}
