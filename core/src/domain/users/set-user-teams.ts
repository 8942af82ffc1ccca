import { and, eq, inArray } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { teamMembers, teams, users } from '../../db/schema/index.ts'
import { AppError } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { appendAudit } from '../audit/append-audit.ts'

/**
 * Makes a user's team memberships exactly `teamIds`, in one transaction, auditing each addition
 * and removal. An actor adding themselves to a private team is audited as
 * `team.self_join_private` (that is how an admin gains sight of a private team's incidents).
 * @throws AppError FORBIDDEN without teams.manage, NOT_FOUND for an unknown user,
 *   INVALID_REQUEST for an unknown team or when an actor would remove themselves from the last
 *   team granting teams.manage.
 */
export const setUserTeams = async (db: Db, actor: Actor, input: { userId: number; teamIds: number[] }) => {
  assertCan(actor, 'teams.manage')
  const wanted = [...new Set(input.teamIds)]
  return db.transaction(async (tx) => {
    const [user] = await tx.select().from(users).where(eq(users.id, input.userId))
    if (!user) throw new AppError('NOT_FOUND', `user ${input.userId} not found`)
    const found = wanted.length ? await tx.select().from(teams).where(inArray(teams.id, wanted)) : []
    if (found.length !== wanted.length) throw new AppError('INVALID_REQUEST', 'teams: unknown team')
    const current = await tx
      .select({ team: teams })
      .from(teamMembers)
      .innerJoin(teams, eq(teams.id, teamMembers.teamId))
      .where(eq(teamMembers.userId, user.id))
    const add = found.filter((t) => !current.some((c) => c.team.id === t.id))
    const remove = current.map((c) => c.team).filter((t) => !wanted.includes(t.id))
    if (actor.userId === user.id && !found.some((t) => t.permissions.includes('teams.manage'))) {
      throw new AppError('INVALID_REQUEST', 'teams: you would lose teams.manage yourself; ask another administrator')
    }
    if (add.length) await tx.insert(teamMembers).values(add.map((t) => ({ teamId: t.id, userId: user.id })))
    if (remove.length)
      await tx.delete(teamMembers).where(
        and(
          eq(teamMembers.userId, user.id),
          inArray(
            teamMembers.teamId,
            remove.map((t) => t.id),
          ),
        ),
      )
    for (const t of add) {
      const action = t.isPrivate && actor.userId === user.id ? 'team.self_join_private' : 'team.member_add'
      await appendAudit(tx, actor, {
        action,
        objectType: 'team',
        objectId: t.id,
        after: { team: t.name, user: user.username },
      })
    }
    for (const t of remove)
      await appendAudit(tx, actor, {
        action: 'team.member_remove',
        objectType: 'team',
        objectId: t.id,
        before: { team: t.name, user: user.username },
      })
    return { added: add.map((t) => t.name), removed: remove.map((t) => t.name) }
  })
}
