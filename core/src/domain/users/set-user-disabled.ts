import { eq, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { sessions, users } from '../../db/schema/index.ts'
import { AppError } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { appendAudit } from '../audit/append-audit.ts'

/**
 * Disables a user (they can no longer sign in; their sessions end at once; the API keys they
 * created stop working, see resolveApiKey) or enables them again (the keys work again).
 * Idempotent: no audit record when nothing changes.
 * @throws AppError FORBIDDEN without users.manage, NOT_FOUND for an unknown user, CONFLICT when an
 *   actor tries to disable themselves (that would lock the last admin out by accident).
 */
export const setUserDisabled = async (db: Db, actor: Actor, input: { userId: number; disabled: boolean }) => {
  assertCan(actor, 'users.manage')
  if (input.disabled && actor.userId === input.userId)
    throw new AppError('CONFLICT', 'you cannot disable your own account')
  return db.transaction(async (tx) => {
    const [user] = await tx.select().from(users).where(eq(users.id, input.userId)).for('update')
    if (!user) throw new AppError('NOT_FOUND', `user ${input.userId} not found`)
    if (user.isDisabled === input.disabled) return user
    const [row] = await tx
      .update(users)
      .set({ isDisabled: input.disabled, updatedAt: sql`now()` })
      .where(eq(users.id, user.id))
      .returning()
    if (input.disabled) await tx.delete(sessions).where(eq(sessions.userId, user.id))
    await appendAudit(tx, actor, {
      action: input.disabled ? 'user.disable' : 'user.enable',
      objectType: 'user',
      objectId: user.id,
      after: { username: user.username },
    })
    return row!
  })
}
