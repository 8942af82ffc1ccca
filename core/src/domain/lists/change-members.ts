import { and, eq, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { incidents, listMembers } from '../../db/schema/index.ts'
import { AppError, notFound } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan, assertVisible } from '../../policy/index.ts'
import { appendAudit } from '../audit/append-audit.ts'
import { loadList, presentMember } from './list-members.ts'
import { validateMember } from './validate-member.ts'

type MemberInput = { member: string; description?: string; expiration?: Date | null; originIncidentId?: number | null }

/**
 * Adds a member (validated for the list's type). Adding a value already present updates its
 * description/expiration instead of duplicating it (idempotent for retried jobs and clients).
 * @throws AppError FORBIDDEN without lists.write, NOT_FOUND for the list or an invisible origin incident, INVALID_REQUEST.
 */
export const addMember = async (db: Db, actor: Actor, listId: number, input: MemberInput) => {
  assertCan(actor, 'lists.write')
  return db.transaction(async (tx) => {
    const list = await loadList(tx, listId)
    const value = validateMember(list.type, input.member)
    if (input.originIncidentId) {
      const [i] = await tx.select().from(incidents).where(eq(incidents.id, input.originIncidentId))
      assertVisible(actor, i, 'origin incident')
    }
    const [row] = await tx
      .insert(listMembers)
      .values({
        listId,
        value,
        description: input.description ?? '',
        expiresAt: input.expiration ?? null,
        originIncidentId: input.originIncidentId ?? null,
        addedBy: actor.userId,
      })
      .onConflictDoUpdate({
        target: [listMembers.listId, listMembers.value],
        set: {
          description: input.description ?? sql`list_members.description`,
          expiresAt: input.expiration === undefined ? sql`list_members.expires_at` : input.expiration,
          updatedAt: sql`now()`,
        },
      })
      .returning()
    await appendAudit(tx, actor, {
      action: 'list.member.add',
      objectType: 'list',
      objectId: listId,
      after: { memberId: row!.id, value, expiresAt: row!.expiresAt },
    })
    return { list, member: await presentMember(tx, actor, row!) }
  })
}

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
