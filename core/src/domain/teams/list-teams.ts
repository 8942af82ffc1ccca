import { asc, eq, sql } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.ts'
import { teamMembers, teams, users } from '../../db/schema/index.ts'
import type { Actor } from '../../policy/actor.ts'

/** Teams with member usernames. Any signed-in actor may list teams (assignment pickers need it). */
export const listTeams = async (db: DbOrTx, _actor: Actor) => {
  const rows = await db.select().from(teams).orderBy(asc(teams.name))
  const members = await db
    .select({ teamId: teamMembers.teamId, username: users.username })
    .from(teamMembers)
    .innerJoin(users, eq(users.id, teamMembers.userId))
    .orderBy(sql`lower(${users.username})`)
  return rows.map((t) => ({ ...t, members: members.filter((m) => m.teamId === t.id).map((m) => m.username) }))
}
