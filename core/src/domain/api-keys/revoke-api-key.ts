import { eq, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { apiKeys } from '../../db/schema/index.ts'
import { AppError } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { appendAudit } from '../audit/append-audit.ts'

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
