import { eq } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.ts'
import { teamMembers, teams } from '../../db/schema/index.ts'
import type { Actor } from '../../policy/actor.ts'
import { permissionsOfTeams } from '../../policy/permissions.ts'

/** The actor for a user: their teams and the union of those teams' permissions. */
export const loadUserActor = async (db: DbOrTx, user: { id: number; username: string }): Promise<Actor> => {
  const rows = await db
    .select({ id: teams.id, permissions: teams.permissions })
    .from(teamMembers)
    .innerJoin(teams, eq(teams.id, teamMembers.teamId))
    .where(eq(teamMembers.userId, user.id))
  return {
    kind: 'user',
    userId: user.id,
    label: user.username,
    teamIds: rows.map((r) => r.id),
    permissions: permissionsOfTeams(rows),
  }
}
