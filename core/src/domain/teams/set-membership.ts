import { and, eq, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { teamMembers, teams, users } from '../../db/schema/index.ts'
import { AppError } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { appendAudit } from '../audit/append-audit.ts'

/**
 * Adds a user to a team or removes them. An admin adding themselves to a private team is how
 * they gain sight of its incidents: allowed, and audited as `team.self_join_private`.
 * @throws AppError FORBIDDEN without teams.manage, NOT_FOUND for an unknown team or user.
 */
export const setMembership = async (
  db: Db,
  actor: Actor,
  input: { team: string; username: string; member: boolean },
) => {
  assertCan(actor, 'teams.manage')
  return db.transaction(async (tx) => {
    const [team] = await tx.select().from(teams).where(sql`lower(${teams.name}) = lower(${input.team})`)
    if (!team) throw new AppError('NOT_FOUND', `team ${input.team} not found`)
    const [user] = await tx.select().from(users).where(sql`lower(${users.username}) = lower(${input.username})`)
    if (!user) throw new AppError('NOT_FOUND', `user ${input.username} not found`)
    if (input.member) {
      const added = await tx
        .insert(teamMembers)
        .values({ teamId: team.id, userId: user.id })
        .onConflictDoNothing()
        .returning()
      if (added.length) {
        const action = team.isPrivate && actor.userId === user.id ? 'team.self_join_private' : 'team.member_add'
        await appendAudit(tx, actor, {
          action,
          objectType: 'team',
          objectId: team.id,
          after: { team: team.name, user: user.username },
        })
      }
    } else {
      const removed = await tx
        .delete(teamMembers)
        .where(and(eq(teamMembers.teamId, team.id), eq(teamMembers.userId, user.id)))
        .returning()
      if (removed.length)
        await appendAudit(tx, actor, {
          action: 'team.member_remove',
          objectType: 'team',
          objectId: team.id,
          before: { team: team.name, user: user.username },
        })
    }
    return { team, user }
  })
}
