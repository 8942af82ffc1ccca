import { and, eq } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { listMembers } from '../../db/schema/index.ts'
import { notFound } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { loadList, notExpired, presentMember } from './list-members.ts'

/** One unexpired member. @throws AppError FORBIDDEN, NOT_FOUND. */
export const getMember = async (db: Db, actor: Actor, listId: number, memberId: number) => {
  assertCan(actor, 'lists.read')
  const list = await loadList(db, listId)
  const [m] = await db
    .select()
    .from(listMembers)
    .where(and(eq(listMembers.listId, listId), eq(listMembers.id, memberId), notExpired))
  if (!m) throw notFound('list member')
  return { list, member: await presentMember(db, actor, m) }
}
