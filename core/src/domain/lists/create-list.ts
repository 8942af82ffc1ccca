import { newToken, sha256 } from '../../auth/tokens.ts'
import { putCredential } from '../../crypto/credentials.ts'
import type { Keyring } from '../../crypto/master-secret.ts'
import type { Db } from '../../db/client.ts'
import { lists } from '../../db/schema/index.ts'
import { AppError } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { appendAudit } from '../audit/append-audit.ts'
import { LIST_TYPES } from './validate-member.ts'

export const feedUrl = (publicUrl: string, token: string) => `${publicUrl.replace(/\/$/, '')}/feeds/lists/${token}.txt`

/**
 * Creates a typed list with its own unguessable feed token (256 bits; SHA-256 for look-up, the
 * token encrypted as a credential so the UI can show the feed URL again).
 * @throws AppError FORBIDDEN without lists.write, INVALID_REQUEST for name/type, CONFLICT for a taken name.
 */
export const createList = async (
  db: Db,
  keyring: Keyring,
  actor: Actor,
  input: { name: string; type: string; description?: string },
) => {
  assertCan(actor, 'lists.write')
  const name = input.name.trim()
  if (!name || name.length > 200) throw new AppError('INVALID_REQUEST', 'name: 1 to 200 characters')
  if (!(LIST_TYPES as readonly string[]).includes(input.type))
    throw new AppError('INVALID_REQUEST', `type: expected one of ${LIST_TYPES.join(', ')}`)
  const token = newToken(32)
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(lists)
      .values({
        name,
        type: input.type,
        description: input.description ?? '',
        feedTokenHash: sha256(token),
        createdBy: actor.userId,
      })
      .onConflictDoNothing()
      .returning()
    if (!row) throw new AppError('CONFLICT', `a list named ${name} already exists`)
    await putCredential(tx, keyring, { ownerKind: 'list', ownerId: row.id, name: 'feed_token' }, token)
    await appendAudit(tx, actor, {
      action: 'list.create',
      objectType: 'list',
      objectId: row.id,
      after: { name, type: row.type },
    })
    return { list: presentList(row), feedToken: token }
  })
}

export const presentList = (row: typeof lists.$inferSelect) => ({
  id: row.id,
  name: row.name,
  type: row.type,
  description: row.description,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
})
