import { asc, eq } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.ts'
import { teamMembers, teams, users } from '../../db/schema/index.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'

/** Users with their team names. @throws AppError FORBIDDEN without users.manage. */
export const listUsers = async (db: DbOrTx, actor: Actor) => {
  assertCan(actor, 'users.manage')
  const rows = await db.select().from(users).orderBy(asc(users.username))
  const links = await db
    .select({ userId: teamMembers.userId, team: teams.name })
    .from(teamMembers)
    .innerJoin(teams, eq(teams.id, teamMembers.teamId))
  return rows.map((u) => ({
    id: u.id,
    username: u.username,
    email: u.email,
    displayName: u.displayName,
    isDisabled: u.isDisabled,
    lockedUntil: u.lockedUntil,
    lastLoginAt: u.lastLoginAt,
    createdAt: u.createdAt,
    teams: links.filter((l) => l.userId === u.id).map((l) => l.team),
  }))
}
