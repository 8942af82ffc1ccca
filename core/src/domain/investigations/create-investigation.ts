import { eq } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { investigations, teams } from '../../db/schema/index.ts'
import { AppError } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { appendAudit } from '../audit/append-audit.ts'
import { addInvestigationHistory } from './investigation-tx.ts'

/**
 * Creates an investigation. A private one needs an owning team the actor is in.
 * @throws AppError FORBIDDEN without investigations.write or for a private team the actor is not in,
 *   INVALID_REQUEST (also for an unknown teamId).
 */
export const createInvestigation = async (
  db: Db,
  actor: Actor,
  input: { name: string; description?: string; teamId?: number | null; isPrivate?: boolean },
) => {
  assertCan(actor, 'investigations.write')
  const name = input.name.trim()
  if (!name || name.length > 300) throw new AppError('INVALID_REQUEST', 'name: 1 to 300 characters')
  if (input.isPrivate && (!input.teamId || (actor.kind !== 'system' && !actor.teamIds.includes(input.teamId)))) {
    throw new AppError('INVALID_REQUEST', 'teamId: a private investigation needs an owning team you are in')
  }
  return db.transaction(async (tx) => {
    // An unknown team is the caller's mistake (400), not a foreign-key failure (500).
    if (
      input.teamId &&
      !(await tx.select({ id: teams.id }).from(teams).where(eq(teams.id, input.teamId)).for('key share'))[0]
    )
      throw new AppError('INVALID_REQUEST', 'teamId: no such team')
    const [row] = await tx
      .insert(investigations)
      .values({
        name,
        description: input.description ?? '',
        teamId: input.teamId ?? null,
        isPrivate: input.isPrivate ?? false,
        createdBy: actor.userId,
      })
      .returning()
    await addInvestigationHistory(tx, actor, row!.id, { historyType: 'created', summary: name })
    await appendAudit(tx, actor, {
      action: 'investigation.create',
      objectType: 'investigation',
      objectId: row!.id,
      after: { name, isPrivate: row!.isPrivate, teamId: row!.teamId },
    })
    return row!
  })
}
