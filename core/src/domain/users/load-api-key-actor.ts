import { eq, inArray } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.ts'
import { apiKeyTeams, teams } from '../../db/schema/index.ts'
import type { Actor } from '../../policy/actor.ts'
import { permissionsOfTeams } from '../../policy/permissions.ts'

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
    permissions: permissionsOfTeams(rows),
  }
}
