import { eq, inArray } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.ts'
import { apiKeyTeams, teamMembers, teams } from '../../db/schema/index.ts'
import type { Actor } from '../../policy/actor.ts'
import { isPermission, type Permission } from '../../policy/permissions.ts'

const unionOf = (rows: { permissions: string[] }[]) => {
  const set = new Set<Permission>()
  for (const r of rows) for (const p of r.permissions) if (isPermission(p)) set.add(p)
  return set
}

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
    permissions: unionOf(rows),
  }
}

/** The actor for an API key: the union of its teams' permissions; it sees its teams' private objects. */
export const loadApiKeyActor = async (
  db: DbOrTx,
  key: { id: number; name: string; createdBy: number | null },
): Promise<Actor> => {
  const links = await db
    .select({ teamId: apiKeyTeams.teamId })
    .from(apiKeyTeams)
    .where(eq(apiKeyTeams.apiKeyId, key.id))
  const rows = links.length
    ? await db
        .select({ id: teams.id, permissions: teams.permissions })
        .from(teams)
        .where(
          inArray(
            teams.id,
            links.map((l) => l.teamId),
          ),
        )
    : []
  return {
    kind: 'api_key',
    userId: key.createdBy,
    apiKeyId: key.id,
    label: `api-key:${key.name}`,
    teamIds: rows.map((r) => r.id),
    permissions: unionOf(rows),
  }
}
