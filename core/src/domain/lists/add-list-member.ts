import { eq, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { incidents, listMembers } from '../../db/schema/index.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan, assertVisible } from '../../policy/index.ts'
import { appendAudit } from '../audit/append-audit.ts'
import { loadList, presentMember } from './list-members.ts'
import { validateMember } from './validate-member.ts'

export type MemberInput = {
  member: string
  description?: string
  expiration?: Date | null
  originIncidentId?: number | null
}

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
