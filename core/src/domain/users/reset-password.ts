import { eq, sql } from 'drizzle-orm'
import { assertPasswordAcceptable, hashPassword } from '../../auth/password.ts'
import type { Db } from '../../db/client.ts'
import { sessions, users } from '../../db/schema/index.ts'
import { AppError } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { appendAudit } from '../audit/append-audit.ts'

/**
 * Sets a user's password (an admin resetting it, or the user changing their own), clears any
 * lockout and ends the user's other sessions.
 * @throws AppError FORBIDDEN unless the actor manages users or is the user, NOT_FOUND for an
 *   unknown user, INVALID_REQUEST for a weak password.
 */
export const resetPassword = async (
  db: Db,
  actor: Actor,
  input: { username: string; password: string; mustChangePassword?: boolean; keepSessionHash?: string },
) => {
  const [user] = await db.select().from(users).where(sql`lower(${users.username}) = lower(${input.username})`)
  if (!user) throw new AppError('NOT_FOUND', `user ${input.username} not found`)
  if (actor.userId !== user.id) assertCan(actor, 'users.manage')
  assertPasswordAcceptable(input.password)
  const passwordHash = await hashPassword(input.password)
  await db.transaction(async (tx) => {
    await tx
      .update(users)
      .set({
        passwordHash,
        failedLogins: 0,
        lockedUntil: null,
        mustChangePassword: input.mustChangePassword ?? false,
        updatedAt: sql`now()`,
      })
      .where(eq(users.id, user.id))
    await tx
      .delete(sessions)
      .where(
        input.keepSessionHash
          ? sql`${sessions.userId} = ${user.id} AND ${sessions.idHash} <> ${input.keepSessionHash}`
          : eq(sessions.userId, user.id),
      )
    await appendAudit(tx, actor, { action: 'user.password_reset', objectType: 'user', objectId: user.id })
  })
}
