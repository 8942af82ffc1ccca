import { eq, sql } from 'drizzle-orm'
import { verifyPassword } from '../../auth/password.ts'
import { newToken, sha256 } from '../../auth/tokens.ts'
import type { Db } from '../../db/client.ts'
import { sessions, users } from '../../db/schema/index.ts'
import { AppError } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { appendAudit } from '../audit/append-audit.ts'

export type SignInPolicy = { lockoutAttempts: number; lockoutMinutes: number; sessionHours: number }
export type SignInResult = {
  token: string
  csrfToken: string
  userId: number
  mustChangePassword: boolean
  expiresAt: Date
}

/**
 * Checks a username and password and opens a session. Every attempt is audited. After
 * `lockoutAttempts` consecutive failures the account is locked for `lockoutMinutes`; a locked
 * account is refused even with the right password.
 * @throws AppError UNAUTHENTICATED (the same message for unknown user and wrong password), LOCKED.
 */
export const signIn = async (
  db: Db,
  input: { username: string; password: string; ip?: string; userAgent?: string; requestId?: string },
  policy: SignInPolicy,
): Promise<SignInResult> => {
  const [user] = await db.select().from(users).where(sql`lower(${users.username}) = lower(${input.username})`)
  const who: Actor = {
    kind: 'user',
    userId: user?.id ?? null,
    label: user?.username ?? input.username.slice(0, 128),
    teamIds: [],
    permissions: new Set(),
    ip: input.ip,
    requestId: input.requestId,
  }
  const audit = (action: string, after?: unknown) =>
    db.transaction((tx) => appendAudit(tx, who, { action, objectType: 'user', objectId: user?.id, after }))

  if (user?.lockedUntil && user.lockedUntil > new Date()) {
    await audit('auth.login_refused_locked')
    throw new AppError(
      'LOCKED',
      `account is locked until ${user.lockedUntil.toISOString()} after too many failed sign-ins`,
    )
  }
  const ok =
    (await verifyPassword(user?.passwordHash ?? null, input.password)) && user !== undefined && !user.isDisabled
  if (!ok || !user) {
    if (user) {
      const [row] = await db
        .update(users)
        .set({
          failedLogins: sql`${users.failedLogins} + 1`,
          lockedUntil: sql`CASE WHEN ${users.failedLogins} + 1 >= ${policy.lockoutAttempts} THEN now() + make_interval(mins => ${policy.lockoutMinutes}) ELSE NULL END`,
        })
        .where(eq(users.id, user.id))
        .returning({ failed: users.failedLogins, lockedUntil: users.lockedUntil })
      await audit(row?.lockedUntil ? 'auth.lockout' : 'auth.login_failed', { failedLogins: row?.failed })
    } else {
      await audit('auth.login_failed', { unknownUser: true })
    }
    throw new AppError('UNAUTHENTICATED', 'wrong username or password')
  }

  const token = newToken()
  const csrfToken = newToken()
  const expiresAt = new Date(Date.now() + policy.sessionHours * 3600_000)
  await db.transaction(async (tx) => {
    await tx
      .update(users)
      .set({ failedLogins: 0, lockedUntil: null, lastLoginAt: sql`now()` })
      .where(eq(users.id, user.id))
    await tx.insert(sessions).values({
      idHash: sha256(token),
      userId: user.id,
      csrfToken,
      ip: input.ip,
      userAgent: input.userAgent?.slice(0, 512),
      expiresAt,
    })
    await appendAudit(tx, who, { action: 'auth.login', objectType: 'user', objectId: user.id })
  })
  return { token, csrfToken, userId: user.id, mustChangePassword: user.mustChangePassword, expiresAt }
}
