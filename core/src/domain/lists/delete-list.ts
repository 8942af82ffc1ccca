import { and, asc, eq, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { credentials, listMembers, lists } from '../../db/schema/index.ts'
import { notFound } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { appendAudit } from '../audit/append-audit.ts'
import { presentList } from './create-list.ts'

/** How many member values the audit record keeps of a deleted list (the count is always exact). */
const AUDITED_MEMBERS = 10_000

/**
 * Deletes a list, its members and its feed token: the feed URL answers 404 from now on. The audit
 * record keeps the list and its member values (up to AUDITED_MEMBERS), so what was blocked and when
 * stays answerable after the list is gone.
 * @throws AppError FORBIDDEN without lists.write, NOT_FOUND.
 */
export const deleteList = async (db: Db, actor: Actor, id: number) => {
  assertCan(actor, 'lists.write')
  return db.transaction(async (tx) => {
    const [row] = await tx.select().from(lists).where(eq(lists.id, id)).for('update')
    if (!row) throw notFound('list')
    const [{ n }] = (await tx
      .select({ n: sql<number>`count(*)::int` })
      .from(listMembers)
      .where(eq(listMembers.listId, id))) as [{ n: number }]
    const members = await tx
      .select({ value: listMembers.value })
      .from(listMembers)
      .where(eq(listMembers.listId, id))
      .orderBy(asc(listMembers.id))
      .limit(AUDITED_MEMBERS)
    await tx.delete(lists).where(eq(lists.id, id))
    await tx.delete(credentials).where(and(eq(credentials.ownerKind, 'list'), eq(credentials.ownerId, String(id))))
    await appendAudit(tx, actor, {
      action: 'list.delete',
      objectType: 'list',
      objectId: id,
      before: { name: row.name, type: row.type, memberCount: n, members: members.map((m) => m.value) },
    })
    return presentList(row)
  })
}
