import type { Db } from '../../db/client.ts'
import { AppError } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { appendAudit } from '../audit/append-audit.ts'
import { notifyUsers } from '../notifications/notify-users.ts'
import { addHistory, touch, withIncident } from './incident-tx.ts'

/**
 * Moves an incident between open/assigned and ignored with its history, audit record and the
 * assignee's notification; the shared body of reopen and ignore.
 */
export const changeIncidentState = async (
  db: Db,
  actor: Actor,
  incidentId: number,
  to: 'open' | 'assigned' | 'ignored',
  why: string,
) =>
  withIncident(db, actor, incidentId, async (tx, row) => {
    if (row.state === to) return
    if (to !== 'ignored' && row.state !== 'closed' && row.state !== 'ignored')
      throw new AppError('CONFLICT', `incident is ${row.state}, not closed or ignored`)
    const state = to === 'open' && row.assigneeId ? 'assigned' : to
    await touch(tx, incidentId, { state, closedAt: null })
    await addHistory(tx, actor, incidentId, {
      historyType: 'state_change',
      field: 'state',
      stateFrom: row.state,
      stateTo: state,
      summary: why,
    })
    await appendAudit(tx, actor, {
      action: to === 'ignored' ? 'incident.ignore' : 'incident.reopen',
      objectType: 'incident',
      objectId: incidentId,
      before: { state: row.state },
      after: { state },
    })
    await notifyUsers(tx, {
      userIds: [row.assigneeId],
      exceptUserId: actor.userId,
      incidentId,
      kind: 'state_changed',
      message: `Incident #${incidentId} is now ${state} (${actor.label})`,
    })
  })
