import { eq } from 'drizzle-orm'
import type { Db, DbOrTx } from '../../db/client.ts'
import { investigationHistory, investigations } from '../../db/schema/index.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan, assertVisible } from '../../policy/index.ts'

/** Locks an investigation the actor may see. @throws AppError NOT_FOUND. */
export const lockInvestigation = async (tx: DbOrTx, actor: Actor, id: number) => {
  const [row] = await tx.select().from(investigations).where(eq(investigations.id, id)).for('update')
  return assertVisible(actor, row, 'investigation')
}

export const addInvestigationHistory = async (
  tx: DbOrTx,
  actor: Actor,
  investigationId: number,
  h: { historyType: string; summary?: string; detail?: string; incidentId?: number },
) => {
  const [row] = await tx
    .insert(investigationHistory)
    .values({
      investigationId,
      userId: actor.userId,
      actorLabel: actor.label,
      historyType: h.historyType,
      summary: h.summary ?? '',
      detail: h.detail ?? '',
      incidentId: h.incidentId ?? null,
    })
    .returning()
  return row!
}

/** Runs `fn` in a transaction holding the investigation's row lock, for an actor allowed to write investigations. @throws AppError FORBIDDEN, NOT_FOUND. */
export const withInvestigation = async <T>(
  db: Db,
  actor: Actor,
  id: number,
  fn: (tx: Parameters<Parameters<Db['transaction']>[0]>[0], row: typeof investigations.$inferSelect) => Promise<T>,
) => {
  assertCan(actor, 'investigations.write')
  return db.transaction(async (tx) => fn(tx, await lockInvestigation(tx, actor, id)))
}
