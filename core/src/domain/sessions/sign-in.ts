import { and, eq, isNull, lte, or, sql } from 'drizzle-orm'
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
 * Checks a username and password and opens a session. Every attempt is audited.
 *
 * Lockout is race-free: before a password is evaluated, the attempt is counted as a failure in
 * one UPDATE ... RETURNING (row lock), which refuses it when the account is locked; the attempt
 * that reaches `lockoutAttempts` locks the account for `lockoutMinutes` at once, so however many
 * sign-ins run in parallel, no more than the limit are evaluated. A correct password clears the
 * count. A locked account gets exactly the answer of an unknown user or a wrong password (no
 * username enumeration); the refusal is audited (`auth.login_refused_locked`, `auth.lockout`).
 * @throws AppError UNAUTHENTICATED, with the same message for every refusal.
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
  const refuse = () => new AppError('UNAUTHENTICATED', 'wrong username or password')

  if (!user) {
    await verifyPassword(null, input.password) // the same work as a real check: no timing oracle
    await audit('auth.login_failed', { unknownUser: true })
    throw refuse()
  }
  // An expired lock starts a fresh count. SET sees the row as it was before this statement.
  const count = sql`CASE WHEN ${users.lockedUntil} <= now() THEN 1 ELSE ${users.failedLogins} + 1 END`
  const [attempt] = await db
    .update(users)
    .set({
      failedLogins: count,
      lockedUntil: sql`CASE WHEN ${count} >= ${policy.lockoutAttempts} THEN now() + make_interval(mins => ${policy.lockoutMinutes}) END`,
    })
    .where(and(eq(users.id, user.id), or(isNull(users.lockedUntil), lte(users.lockedUntil, sql`now()`))))
    .returning({ failed: users.failedLogins, lockedUntil: users.lockedUntil })
  if (!attempt) {
    await verifyPassword(null, input.password)
    await audit('auth.login_refused_locked')
    throw refuse()
  }
  const ok = (await verifyPassword(user.passwordHash, input.password)) && !user.isDisabled
  if (!ok) {
    await audit(attempt.lockedUntil ? 'auth.lockout' : 'auth.login_failed', { failedLogins: attempt.failed })
    throw refuse()
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
