import { and, eq, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { listMembers } from '../../db/schema/index.ts'
import { AppError, notFound } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { appendAudit } from '../audit/append-audit.ts'
import type { MemberInput } from './add-list-member.ts'
import { loadList, presentMember } from './list-members.ts'
import { validateMember } from './validate-member.ts'

/** Changes a member's value/description/expiration. @throws AppError FORBIDDEN, NOT_FOUND, INVALID_REQUEST, CONFLICT. */
export const updateMember = async (
  db: Db,
  actor: Actor,
  listId: number,
  memberId: number,
  input: Partial<MemberInput>,
) => {
  assertCan(actor, 'lists.write')
  return db.transaction(async (tx) => {
    const list = await loadList(tx, listId)
    const [before] = await tx
      .select()
      .from(listMembers)
      .where(and(eq(listMembers.listId, listId), eq(listMembers.id, memberId)))
      .for('update')
    if (!before) throw notFound('list member')
    const value = input.member !== undefined ? validateMember(list.type, input.member) : before.value
    const clash =
      value !== before.value &&
      (
        await tx
          .select()
          .from(listMembers)
          .where(and(eq(listMembers.listId, listId), eq(listMembers.value, value)))
      )[0]
    if (clash) throw new AppError('CONFLICT', 'member: already on this list')
    const [row] = await tx
      .update(listMembers)
      .set({
        value,
        description: input.description ?? before.description,
        expiresAt: input.expiration === undefined ? before.expiresAt : input.expiration,
        updatedAt: sql`now()`,
      })
      .where(eq(listMembers.id, memberId))
      .returning()
    await appendAudit(tx, actor, {
      action: 'list.member.update',
      objectType: 'list',
      objectId: listId,
      before: { memberId, value: before.value, expiresAt: before.expiresAt },
      after: { value, expiresAt: row!.expiresAt },
    })
    return { list, member: await presentMember(tx, actor, row!) }
  })
}
