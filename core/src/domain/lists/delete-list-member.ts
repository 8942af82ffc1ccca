import { and, eq } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { listMembers } from '../../db/schema/index.ts'
import { notFound } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { appendAudit } from '../audit/append-audit.ts'
import { loadList, presentMember } from './list-members.ts'

/** Removes a member. @throws AppError FORBIDDEN, NOT_FOUND. */
export const deleteMember = async (db: Db, actor: Actor, listId: number, memberId: number) => {
  assertCan(actor, 'lists.write')
  return db.transaction(async (tx) => {
    const list = await loadList(tx, listId)
    const [row] = await tx
      .delete(listMembers)
      .where(and(eq(listMembers.listId, listId), eq(listMembers.id, memberId)))
      .returning()
    if (!row) throw notFound('list member')
    await appendAudit(tx, actor, {
      action: 'list.member.delete',
      objectType: 'list',
      objectId: listId,
      before: { memberId, value: row.value },
    })
    return { list, member: await presentMember(tx, actor, row) }
  })
}
