import { inArray, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { incidents } from '../../db/schema/index.ts'
import { AppError } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan, canSee } from '../../policy/index.ts'
import { appendAudit } from '../audit/append-audit.ts'
import { notifyUsers } from '../notifications/notify-users.ts'
import { addHistory } from './incident-tx.ts'

/**
 * Closes incidents with a summary and detail (bulk or one). Already closed ones are left as they
 * are. All or nothing: when any id is unknown or invisible to the actor, nothing changes.
 * @throws AppError FORBIDDEN without incidents.write, NOT_FOUND naming the first missing id,
 *   INVALID_REQUEST for an empty id list.
 */
export const closeIncidents = async (
  db: Db,
  actor: Actor,
  ids: number[],
  input: { summary?: string; detail?: string },
) => {
  assertCan(actor, 'incidents.write')
  const unique = [...new Set(ids)]
  if (unique.length === 0 || unique.length > 10_000)
    throw new AppError('INVALID_REQUEST', 'incidentIds: 1 to 10000 ids')
  return db.transaction(async (tx) => {
    const rows = await tx
      .select()
      .from(incidents)
      .where(inArray(incidents.id, unique))
      .orderBy(incidents.id)
      .for('update')
    const missing = unique.find((id) => !rows.some((r) => r.id === id && canSee(actor, r)))
    if (missing !== undefined) throw new AppError('NOT_FOUND', `incident ${missing} not found`)
    const closing = rows.filter((r) => r.state !== 'closed')
    if (closing.length) {
      await tx
        .update(incidents)
        .set({
          state: 'closed',
          closedAt: sql`now()`,
          updatedAt: sql`now()`,
          closeSummary: input.summary ?? '',
          closeDetail: input.detail ?? '',
        })
        .where(
          inArray(
            incidents.id,
            closing.map((r) => r.id),
          ),
        )
      for (const r of closing) {
        await addHistory(tx, actor, r.id, {
          historyType: 'state_change',
          field: 'state',
          stateFrom: r.state,
          stateTo: 'closed',
          summary: input.summary ?? '',
          detail: input.detail ?? '',
        })
        await appendAudit(tx, actor, {
          action: 'incident.close',
          objectType: 'incident',
          objectId: r.id,
          before: { state: r.state },
          after: { state: 'closed', summary: input.summary ?? '' },
        })
        await notifyUsers(tx, {
          userIds: [r.assigneeId],
          exceptUserId: actor.userId,
          incidentId: r.id,
          kind: 'state_changed',
          message: `Incident #${r.id} is now closed (${actor.label})`,
        })
      }
    }
    return {
      closed: closing.map((r) => r.id),
      alreadyClosed: rows.filter((r) => r.state === 'closed').map((r) => r.id),
    }
  })
}
