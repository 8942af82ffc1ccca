import { asc, eq, sql } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.ts'
import { teamMembers, teams, users } from '../../db/schema/index.ts'
import type { Actor } from '../../policy/actor.ts'
import { can } from '../../policy/index.ts'

/**
 * Teams with member usernames. Any signed-in actor may list teams (assignment pickers need it), but
 * a private team's members are listed only to its members and to actors with teams.manage.
 */
export const listTeams = async (db: DbOrTx, actor: Actor) => {
  const rows = await db.select().from(teams).orderBy(asc(teams.name))
  const members = await db
    .select({ teamId: teamMembers.teamId, username: users.username })
    .from(teamMembers)
    .innerJoin(users, eq(users.id, teamMembers.userId))
    .orderBy(sql`lower(${users.username})`)
  const seesMembers = (t: { id: number; isPrivate: boolean }) =>
    !t.isPrivate || can(actor, 'teams.manage') || actor.kind === 'system' || actor.teamIds.includes(t.id)
  return rows.map((t) => ({
    ...t,
    members: seesMembers(t) ? members.filter((m) => m.teamId === t.id).map((m) => m.username) : [],
  }))
}
