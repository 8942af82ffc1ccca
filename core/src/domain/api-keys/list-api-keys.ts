import { desc, eq, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { apiKeys, apiKeyTeams, teams } from '../../db/schema/index.ts'
import { AppError } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { appendAudit } from '../audit/append-audit.ts'

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

/** Revokes a key; idempotent. @throws AppError FORBIDDEN, NOT_FOUND. */
export const revokeApiKey = async (db: Db, actor: Actor, id: number) => {
  assertCan(actor, 'api_keys.manage')
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(apiKeys)
      .set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, now())` })
      .where(eq(apiKeys.id, id))
      .returning()
    if (!row) throw new AppError('NOT_FOUND', `api key ${id} not found`)
    await appendAudit(tx, actor, {
      action: 'api_key.revoke',
      objectType: 'api_key',
      objectId: id,
      before: { name: row.name, prefix: row.prefix },
    })
    return { id: row.id, revokedAt: row.revokedAt }
  })
}
