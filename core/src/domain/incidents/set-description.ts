import type { DbOrTx } from '../../db/client.ts'
import { AppError } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { appendAudit } from '../audit/append-audit.ts'
import { addHistory, touch, withIncident } from './incident-tx.ts'

/**
 * Overwrites the incident's description, or appends to it (on a new line) when `overwrite` is false.
 * @throws AppError FORBIDDEN, NOT_FOUND, INVALID_REQUEST when longer than 100,000 characters.
 */
export const setDescription = async (
  db: DbOrTx,
  actor: Actor,
  incidentId: number,
  input: { description: string; overwrite: boolean },
) =>
  withIncident(db, actor, incidentId, async (tx, row) => {
    const next = input.overwrite || !row.description ? input.description : `${row.description}\n${input.description}`
    if (next.length > 100_000) throw new AppError('INVALID_REQUEST', 'description: longer than 100000 characters')
    if (next !== row.description) {
      await touch(tx, incidentId, { description: next })
      await addHistory(tx, actor, incidentId, {
        historyType: 'field_change',
        field: 'description',
        stateFrom: row.description.slice(0, 2000),
        stateTo: next.slice(0, 2000),
      })
      await appendAudit(tx, actor, {
        action: 'incident.description',
        objectType: 'incident',
        objectId: incidentId,
        before: { length: row.description.length },
        after: { length: next.length, overwrite: input.overwrite },
      })
    }
  })
