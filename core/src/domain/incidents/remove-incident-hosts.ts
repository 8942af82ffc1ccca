import { and, eq, inArray, or } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { incidentHosts } from '../../db/schema/index.ts'
import type { Actor } from '../../policy/actor.ts'
import { appendAudit } from '../audit/append-audit.ts'
import { checkHosts, type IncidentHost, readHosts } from './add-incident-hosts.ts'
import { addHistory, touch, withIncident } from './incident-tx.ts'

/**
 * Removes hosts from an incident (ones it does not have are ignored), recording what was removed
 * in incident_history and the audit log in the same transaction. Editing a host is removing it and
 * adding the new one. Returns the incident's hosts after the change.
 * @throws AppError FORBIDDEN, NOT_FOUND (incident not visible), INVALID_REQUEST naming the bad kind or host.
 */
export const removeIncidentHosts = async (db: Db, actor: Actor, incidentId: number, hosts: IncidentHost[]) => {
  const rows = checkHosts(hosts)
  return withIncident(db, actor, incidentId, async (tx) => {
    const kinds = [...new Set(rows.map((r) => r.kind))]
    const removed = rows.length
      ? await tx
          .delete(incidentHosts)
          .where(
            and(
              eq(incidentHosts.incidentId, incidentId),
              or(
                ...kinds.map((k) =>
                  and(
                    eq(incidentHosts.kind, k),
                    inArray(
                      incidentHosts.host,
                      rows.filter((r) => r.kind === k).map((r) => r.host),
                    ),
                  ),
                ),
              ),
            ),
          )
          .returning({ kind: incidentHosts.kind, host: incidentHosts.host })
      : []
    if (removed.length) {
      await touch(tx, incidentId)
      await addHistory(tx, actor, incidentId, {
        historyType: 'hosts_removed',
        summary: removed
          .map((a) => `${a.kind}: ${a.host}`)
          .join(', ')
          .slice(0, 2000),
      })
      await appendAudit(tx, actor, {
        action: 'incident.hosts_removed',
        objectType: 'incident',
        objectId: incidentId,
        before: { removed },
      })
    }
    return readHosts(tx, incidentId)
  })
}
