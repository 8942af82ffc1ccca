import { asc, eq } from 'drizzle-orm'
import type { Db, DbOrTx } from '../../db/client.ts'
import { incidentHosts } from '../../db/schema/index.ts'
import { AppError } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { appendAudit } from '../audit/append-audit.ts'
import { addHistory, touch, withIncident } from './incident-tx.ts'

/** The kinds of host an incident records (the same ones intake fills). */
export const HOST_KINDS = ['attacker', 'cnc', 'forensics', 'url'] as const
export type HostKind = (typeof HOST_KINDS)[number]
export type IncidentHost = { kind: string; host: string }

/** Trims and checks hosts: a known kind, 1 to 2,048 characters, no control characters (never echoed). */
export const checkHosts = (hosts: IncidentHost[]): IncidentHost[] =>
  hosts.map((h, i) => {
    if (!(HOST_KINDS as readonly string[]).includes(h.kind))
      throw new AppError('INVALID_REQUEST', `kind: hosts.${i}.kind must be one of ${HOST_KINDS.join(', ')}`)
    const host = h.host.trim()
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
    if (!host || host.length > 2048 || /[\u0000-\u001f\u007f]/.test(host))
      throw new AppError(
        'INVALID_REQUEST',
        `host: hosts.${i}.host must be 1 to 2048 characters without control characters`,
      )
    return { kind: h.kind, host }
  })

/** The incident's hosts, by kind then host. */
export const readHosts = (tx: DbOrTx, incidentId: number): Promise<IncidentHost[]> =>
  tx
    .select({ kind: incidentHosts.kind, host: incidentHosts.host })
    .from(incidentHosts)
    .where(eq(incidentHosts.incidentId, incidentId))
    .orderBy(asc(incidentHosts.kind), asc(incidentHosts.host))

/**
 * Adds attacker / cnc / forensics / url hosts to an incident (ones it already has are kept once),
 * recording what was added in incident_history and the audit log in the same transaction.
 * Returns the incident's hosts after the change.
 * @throws AppError FORBIDDEN, NOT_FOUND (incident not visible), INVALID_REQUEST naming the bad kind or host.
 */
export const addIncidentHosts = async (db: Db, actor: Actor, incidentId: number, hosts: IncidentHost[]) => {
  const rows = checkHosts(hosts)
  return withIncident(db, actor, incidentId, async (tx) => {
    const added = rows.length
      ? await tx
          .insert(incidentHosts)
          .values(rows.map((r) => ({ incidentId, ...r })))
          .onConflictDoNothing()
          .returning({ kind: incidentHosts.kind, host: incidentHosts.host })
      : []
    if (added.length) {
      await touch(tx, incidentId)
      await addHistory(tx, actor, incidentId, {
        historyType: 'hosts_added',
        summary: added
          .map((a) => `${a.kind}: ${a.host}`)
          .join(', ')
          .slice(0, 2000),
      })
      await appendAudit(tx, actor, {
        action: 'incident.hosts_added',
        objectType: 'incident',
        objectId: incidentId,
        after: { added },
      })
    }
    return readHosts(tx, incidentId)
  })
}
