import { and, eq, gt, sql } from 'drizzle-orm'
import { sha256 } from '../../auth/tokens.ts'
import type { Db } from '../../db/client.ts'
import { sessions, users } from '../../db/schema/index.ts'
import type { Actor } from '../../policy/actor.ts'
import { loadUserActor } from '../users/load-user-actor.ts'

export type ResolvedSession = {
  actor: Actor
  csrfToken: string
  idHash: string
  mustChangePassword: boolean
  username: string
}

/**
 * Finds the live session for a cookie value and slides its expiry (idle timeout). Returns
 * undefined for an unknown, expired or disabled-user session.
 */
export const resolveSession = async (
  db: Db,
  token: string,
  sessionHours: number,
): Promise<ResolvedSession | undefined> => {
  const idHash = sha256(token)
  const [row] = await db
    .select({ csrfToken: sessions.csrfToken, lastSeenAt: sessions.lastSeenAt, user: users })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.idHash, idHash), gt(sessions.expiresAt, sql`now()`)))
  if (!row || row.user.isDisabled) return undefined
  // Touch at most once a minute: a busy UI should not write on every request.
  if (Date.now() - row.lastSeenAt.getTime() > 60_000) {
    await db
      .update(sessions)
      .set({ lastSeenAt: sql`now()`, expiresAt: sql`now() + make_interval(hours => ${sessionHours})` })
      .where(eq(sessions.idHash, idHash))
  }
  return {
    actor: await loadUserActor(db, row.user),
    csrfToken: row.csrfToken,
    idHash,
    mustChangePassword: row.user.mustChangePassword,
    username: row.user.username,
  }
}
