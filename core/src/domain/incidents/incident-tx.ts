import { eq, sql } from 'drizzle-orm'
import type { Db, DbOrTx } from '../../db/client.ts'
import { incidentHistory, incidents } from '../../db/schema/index.ts'
import { AppError } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan, assertVisible } from '../../policy/index.ts'
import { loadCompatIncidents } from './compat-incidents.ts'

export type IncidentRow = typeof incidents.$inferSelect
export type HistoryInput = {
  historyType: string
  field?: string
  stateFrom?: string | null
  stateTo?: string | null
  summary?: string
  detail?: string
  /** the response run this entry reports on */
  responseId?: number
}

/** Locks an incident row for update after checking the actor may see it. @throws NOT_FOUND. */
export const lockIncident = async (tx: DbOrTx, actor: Actor, id: number): Promise<IncidentRow> => {
  const [row] = await tx.select().from(incidents).where(eq(incidents.id, id)).for('update')
  return assertVisible(actor, row, 'incident')
}

/** Appends one incident_history row (field changes, state changes, comments ...). */
export const addHistory = async (tx: DbOrTx, actor: Actor, incidentId: number, h: HistoryInput) => {
  const [row] = await tx
    .insert(incidentHistory)
    .values({
      incidentId,
      userId: actor.userId,
      actorLabel: actor.label,
      historyType: h.historyType,
      field: h.field ?? null,
      stateFrom: h.stateFrom ?? null,
      stateTo: h.stateTo ?? null,
      summary: h.summary ?? '',
      detail: h.detail ?? '',
      responseId: h.responseId ?? null,
    })
    .returning()
  return row!
}

export const touch = (tx: DbOrTx, id: number, set: Partial<Record<keyof IncidentRow, unknown>> = {}) =>
  tx
    .update(incidents)
    .set({ ...set, updatedAt: sql`now()` } as never)
    .where(eq(incidents.id, id))

/**
 * Runs `fn` in a transaction with the incident locked; the actor needs incidents.write. Given a
 * caller's transaction it joins it (a savepoint), so several edits can commit as one.
 */
export const withIncident = async <T>(
  db: DbOrTx,
  actor: Actor,
  id: number,
  fn: (tx: DbOrTx, row: IncidentRow) => Promise<T>,
) => {
  assertCan(actor, 'incidents.write')
  return db.transaction(async (tx) => fn(tx, await lockIncident(tx, actor, id)))
}

/** The incident in the compatible shape (also the native API's), or NOT_FOUND when invisible. */
export const presentIncident = async (
  db: Db,
  actor: Actor,
  id: number,
  expand = true,
): Promise<Record<string, unknown>> => {
  const {
    incidents: [row],
    json,
  } = await loadCompatIncidents(db, { where: sql`i.id = ${id}` }, expand)
  if (!row) throw new AppError('NOT_FOUND', 'incident not found')
  assertVisible(
    actor,
    { isPrivate: row.isPrivate, teamId: row.teamId === null ? null : Number(row.teamId) },
    'incident',
  )
  return JSON.parse(json) as Record<string, unknown>
}
