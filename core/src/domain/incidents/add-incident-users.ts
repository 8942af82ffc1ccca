import type { DbOrTx } from '../../db/client.ts'
import { incidentUsers } from '../../db/schema/index.ts'
import { AppError } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { appendAudit } from '../audit/append-audit.ts'
import { addHistory, touch, withIncident } from './incident-tx.ts'

/**
 * Adds target and attacker users to an incident (existing ones are kept, duplicates ignored).
 * @throws AppError FORBIDDEN, NOT_FOUND, INVALID_REQUEST for an empty/oversized name.
 */
export const addIncidentUsers = async (
  db: DbOrTx,
  actor: Actor,
  incidentId: number,
  input: { targets?: string[]; attackers?: string[] },
) => {
  const rows = [
    ...(input.targets ?? []).map((u) => ({ kind: 'targets', username: u.trim() })),
    ...(input.attackers ?? []).map((u) => ({ kind: 'attackers', username: u.trim() })),
  ]
  if (rows.some((r) => !r.username || r.username.length > 320))
    throw new AppError('INVALID_REQUEST', 'targets/attackers: names must be 1 to 320 characters')
  return withIncident(db, actor, incidentId, async (tx) => {
    if (rows.length) {
      const added = await tx
        .insert(incidentUsers)
        .values(rows.map((r) => ({ incidentId, ...r })))
        .onConflictDoNothing()
        .returning()
      if (added.length) {
        await touch(tx, incidentId)
        await addHistory(tx, actor, incidentId, {
          historyType: 'users_added',
          summary: added
            .map((a) => `${a.kind}: ${a.username}`)
            .join(', ')
            .slice(0, 2000),
        })
        await appendAudit(tx, actor, {
          action: 'incident.users',
          objectType: 'incident',
          objectId: incidentId,
          after: { added: added.map((a) => ({ kind: a.kind, username: a.username })) },
        })
      }
    }
  })
}
