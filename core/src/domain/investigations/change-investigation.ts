import { and, eq, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { incidents, investigationIncidents, investigations } from '../../db/schema/index.ts'
import { AppError, notFound } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan, assertVisible } from '../../policy/index.ts'
import { appendAudit } from '../audit/append-audit.ts'
import { addHistory } from '../incidents/incident-tx.ts'
import { addInvestigationHistory, lockInvestigation } from './investigation-tx.ts'

const within = async <T>(
  db: Db,
  actor: Actor,
  id: number,
  fn: (tx: Parameters<Parameters<Db['transaction']>[0]>[0], row: typeof investigations.$inferSelect) => Promise<T>,
) => {
  assertCan(actor, 'investigations.write')
  return db.transaction(async (tx) => fn(tx, await lockInvestigation(tx, actor, id)))
}

/**
 * Edits name, description, state (open/closed) of an investigation.
 * @throws AppError FORBIDDEN, NOT_FOUND, INVALID_REQUEST.
 */
export const updateInvestigation = (
  db: Db,
  actor: Actor,
  id: number,
  input: { name?: string; description?: string; state?: 'open' | 'closed' },
) =>
  within(db, actor, id, async (tx, before) => {
    if (input.name !== undefined && (!input.name.trim() || input.name.length > 300))
      throw new AppError('INVALID_REQUEST', 'name: 1 to 300 characters')
    const state = input.state ?? before.state
    const [row] = await tx
      .update(investigations)
      .set({
        name: input.name?.trim() ?? before.name,
        description: input.description ?? before.description,
        state,
        closedAt: state === 'closed' ? (before.closedAt ?? sql`now()`) : null,
        updatedAt: sql`now()`,
      })
      .where(eq(investigations.id, id))
      .returning()
    await addInvestigationHistory(tx, actor, id, {
      historyType: 'updated',
      summary: state !== before.state ? `state ${before.state} → ${state}` : 'edited',
    })
    await appendAudit(tx, actor, {
      action: 'investigation.update',
      objectType: 'investigation',
      objectId: id,
      before: { name: before.name, state: before.state },
      after: { name: row!.name, state },
    })
    return row!
  })

/**
 * Links an incident to an investigation (idempotent); both must be visible to the actor. Recorded
 * in both histories. @throws AppError FORBIDDEN, NOT_FOUND.
 */
export const linkIncident = (db: Db, actor: Actor, id: number, incidentId: number) =>
  within(db, actor, id, async (tx) => {
    const [inc] = await tx.select().from(incidents).where(eq(incidents.id, incidentId))
    assertVisible(actor, inc, 'incident')
    const [added] = await tx
      .insert(investigationIncidents)
      .values({ investigationId: id, incidentId, linkedBy: actor.userId })
      .onConflictDoNothing()
      .returning()
    if (added) {
      await addInvestigationHistory(tx, actor, id, { historyType: 'incident_linked', incidentId })
      await addHistory(tx, actor, incidentId, {
        historyType: 'investigation_linked',
        summary: `linked to investigation ${id}`,
      })
      await appendAudit(tx, actor, {
        action: 'investigation.link',
        objectType: 'investigation',
        objectId: id,
        after: { incidentId },
      })
    }
    return { linked: Boolean(added) }
  })

/** Unlinks an incident. @throws AppError FORBIDDEN, NOT_FOUND (also when it was not linked). */
export const unlinkIncident = (db: Db, actor: Actor, id: number, incidentId: number) =>
  within(db, actor, id, async (tx) => {
    const [inc] = await tx.select().from(incidents).where(eq(incidents.id, incidentId))
    assertVisible(actor, inc, 'incident')
    const [gone] = await tx
      .delete(investigationIncidents)
      .where(and(eq(investigationIncidents.investigationId, id), eq(investigationIncidents.incidentId, incidentId)))
      .returning()
    if (!gone) throw notFound('linked incident')
    await addInvestigationHistory(tx, actor, id, { historyType: 'incident_unlinked', incidentId })
    await addHistory(tx, actor, incidentId, {
      historyType: 'investigation_unlinked',
      summary: `unlinked from investigation ${id}`,
    })
    await appendAudit(tx, actor, {
      action: 'investigation.unlink',
      objectType: 'investigation',
      objectId: id,
      after: { incidentId },
    })
    return { unlinked: true }
  })

/** Adds a comment to an investigation. @throws AppError FORBIDDEN, NOT_FOUND, INVALID_REQUEST. */
export const addInvestigationComment = (
  db: Db,
  actor: Actor,
  id: number,
  input: { summary: string; detail?: string },
) =>
  within(db, actor, id, async (tx) => {
    if (!input.summary.trim()) throw new AppError('INVALID_REQUEST', 'summary: required')
    const h = await addInvestigationHistory(tx, actor, id, {
      historyType: 'comment',
      summary: input.summary.trim(),
      detail: input.detail ?? '',
    })
    await tx.update(investigations).set({ updatedAt: sql`now()` }).where(eq(investigations.id, id))
    await appendAudit(tx, actor, {
      action: 'investigation.comment',
      objectType: 'investigation',
      objectId: id,
      after: { historyId: h.id },
    })
    return h
  })
