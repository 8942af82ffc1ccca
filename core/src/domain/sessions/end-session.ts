import { eq } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { sessions } from '../../db/schema/index.ts'
import type { Actor } from '../../policy/actor.ts'
import { appendAudit } from '../audit/append-audit.ts'

/** Ends a session (sign-out); audited. */
export const endSession = async (db: Db, actor: Actor, idHash: string) =>
  db.transaction(async (tx) => {
    await tx.delete(sessions).where(eq(sessions.idHash, idHash))
    await appendAudit(tx, actor, { action: 'auth.logout', objectType: 'user', objectId: actor.userId ?? undefined })
  })
