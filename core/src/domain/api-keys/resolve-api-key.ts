import { and, eq, gt, isNull, or, sql } from 'drizzle-orm'
import { sha256 } from '../../auth/tokens.ts'
import type { Db } from '../../db/client.ts'
import { apiKeys } from '../../db/schema/index.ts'
import type { Actor } from '../../policy/actor.ts'
import { loadApiKeyActor } from '../users/load-actor.ts'

/** The actor for a raw API key, or undefined for an unknown, revoked or expired key. */
export const resolveApiKey = async (db: Db, rawKey: string): Promise<Actor | undefined> => {
  const [key] = await db
    .select()
    .from(apiKeys)
    .where(
      and(
        eq(apiKeys.keyHash, sha256(rawKey.trim())),
        isNull(apiKeys.revokedAt),
        or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, sql`now()`)),
      ),
    )
  if (!key) return undefined
  if (!key.lastUsedAt || Date.now() - key.lastUsedAt.getTime() > 60_000) {
    await db.update(apiKeys).set({ lastUsedAt: sql`now()` }).where(eq(apiKeys.id, key.id))
  }
  return loadApiKeyActor(db, key)
}
