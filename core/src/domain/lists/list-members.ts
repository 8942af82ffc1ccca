import { and, asc, eq, gt, isNull, or, sql } from 'drizzle-orm'
import type { Db, DbOrTx } from '../../db/client.ts'
import { incidents, listMembers, lists } from '../../db/schema/index.ts'
import { notFound } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan, canSee } from '../../policy/index.ts'

/** Members whose expiration has not passed: every read and feed applies this. */
export const notExpired = or(isNull(listMembers.expiresAt), gt(listMembers.expiresAt, sql`now()`))!

export type MemberRow = typeof listMembers.$inferSelect

/**
 * A member for the actor: the origin incident is shown only when the actor may see it (a private
 * incident's id is not revealed through a list).
 */
export const presentMember = async (db: DbOrTx, actor: Actor, m: MemberRow) => {
  let originIncidentId = m.originIncidentId
  if (originIncidentId !== null) {
    const [i] = await db
      .select({ isPrivate: incidents.isPrivate, teamId: incidents.teamId })
      .from(incidents)
      .where(eq(incidents.id, originIncidentId))
    if (!i || !canSee(actor, i)) originIncidentId = null
  }
  return {
    id: m.id,
    listId: m.listId,
    value: m.value,
    description: m.description,
    expiresAt: m.expiresAt,
    originIncidentId,
    addedBy: m.addedBy,
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
  }
}

export const loadList = async (db: DbOrTx, id: number) => {
  const [row] = await db.select().from(lists).where(eq(lists.id, id))
  if (!row) throw notFound('list')
  return row
}

/** The list's current (unexpired) members, oldest first. @throws AppError FORBIDDEN, NOT_FOUND. */
export const listMembersOf = async (db: Db, actor: Actor, listId: number) => {
  assertCan(actor, 'lists.read')
  const list = await loadList(db, listId)
  const rows = await db
    .select()
    .from(listMembers)
    .where(and(eq(listMembers.listId, listId), notExpired))
    .orderBy(asc(listMembers.id))
  const visible = new Set(
    (
      await db
        .select({ id: incidents.id, isPrivate: incidents.isPrivate, teamId: incidents.teamId })
        .from(incidents)
        .where(sql`${incidents.id} IN (SELECT origin_incident_id FROM list_members WHERE list_id = ${listId})`)
    )
      .filter((i) => canSee(actor, i))
      .map((i) => i.id),
  )
  return {
    list,
    members: rows.map((m) => ({
      id: m.id,
      listId: m.listId,
      value: m.value,
      description: m.description,
      expiresAt: m.expiresAt,
      originIncidentId: m.originIncidentId !== null && visible.has(m.originIncidentId) ? m.originIncidentId : null,
      addedBy: m.addedBy,
      createdAt: m.createdAt,
      updatedAt: m.updatedAt,
    })),
  }
}
