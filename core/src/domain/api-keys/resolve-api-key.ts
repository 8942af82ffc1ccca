import { and, eq, gt, isNull, not, or, sql } from 'drizzle-orm'
import { sha256 } from '../../auth/tokens.ts'
import type { Db } from '../../db/client.ts'
import { apiKeys, users } from '../../db/schema/index.ts'
import type { Actor } from '../../policy/actor.ts'
import { loadApiKeyActor } from '../users/load-api-key-actor.ts'

/**
 * The actor for a raw API key, or undefined for an unknown, revoked or expired key, or a key whose
 * creator is disabled (disabling a user disables its keys; enabling the user restores them).
 */
export const resolveApiKey = async (db: Db, rawKey: string): Promise<Actor | undefined> => {
  const [row] = await db
    .select({ key: apiKeys })
    .from(apiKeys)
    .leftJoin(users, eq(users.id, apiKeys.createdBy))
    .where(
      and(
        eq(apiKeys.keyHash, sha256(rawKey.trim())),
        isNull(apiKeys.revokedAt),
        or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, sql`now()`)),
        or(isNull(users.id), not(users.isDisabled)),
      ),
    )
  const key = row?.key
  if (!key) return undefined
  if (!key.lastUsedAt || Date.now() - key.lastUsedAt.getTime() > 60_000) {
    await db.update(apiKeys).set({ lastUsedAt: sql`now()` }).where(eq(apiKeys.id, key.id))
  }
  return loadApiKeyActor(db, key)
}
