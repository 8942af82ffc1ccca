import { desc, eq } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { apiKeys, apiKeyTeams, teams } from '../../db/schema/index.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'

/** API keys (never the key itself: only its prefix). @throws AppError FORBIDDEN without api_keys.manage. */
export const listApiKeys = async (db: Db, actor: Actor) => {
  assertCan(actor, 'api_keys.manage')
  const rows = await db.select().from(apiKeys).orderBy(desc(apiKeys.createdAt))
  const links = await db
    .select({ apiKeyId: apiKeyTeams.apiKeyId, team: teams.name })
    .from(apiKeyTeams)
    .innerJoin(teams, eq(teams.id, apiKeyTeams.teamId))
  return rows.map(({ keyHash: _hash, ...k }) => ({
    ...k,
    teams: links.filter((l) => l.apiKeyId === k.id).map((l) => l.team),
  }))
}
