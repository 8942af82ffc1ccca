import { and, eq } from 'drizzle-orm'
import type { Keyring } from '../../crypto/master-secret.ts'
import type { Db } from '../../db/client.ts'
import { connectors, incidents, quarantineRecords, sources } from '../../db/schema/index.ts'
import type { Logger } from '../../log.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan, assertVisible } from '../../policy/index.ts'
import { connectorPool } from './connector-calls.ts'
import { readExemptions } from './exempt-from-quarantine.ts'
import { TYPE_TITLES } from './list-quarantine-results.ts'
import { seedsOfIncident } from './plan-quarantine.ts'
import { routeMailboxes } from './route-mailboxes.ts'

/** What quarantining the incident now would do to one mailbox. */
export type PreviewAction = 'quarantine' | 'exempt' | 'no connector' | 'done'

/**
 * The mailboxes a quarantine of the incident would touch, before it runs: its recipients with
 * groups expanded by the directory connectors (members, via the group), each with the mail
 * connector that serves it and what would happen: `quarantine`, `exempt` (whitelisted),
 * `no connector` (recorded failed), `done` (a previous run already pulled it). Copies the users
 * forwarded are found only while the run follows forwards, so they are not listed. Reads, never moves.
 * @throws AppError FORBIDDEN without incidents.read and quarantine, NOT_FOUND for an incident the actor cannot see
 */
export const previewQuarantine = async (
  deps: { db: Db; keyring: Keyring; log: Logger },
  actor: Actor,
  incidentId: number,
  signal: AbortSignal,
) => {
  assertCan(actor, 'incidents.read')
  assertCan(actor, 'quarantine')
  const [row] = await deps.db
    .select({ incident: incidents, sourceType: sources.type })
    .from(incidents)
    .leftJoin(sources, eq(sources.id, incidents.sourceId))
    .where(eq(incidents.id, incidentId))
  assertVisible(actor, row?.incident, 'incident')
  const q = { ...deps, signal, actor, incidentId, runId: null }
  const pool = connectorPool(q)
  try {
    const routes = await routeMailboxes(deps.db)
    const exempt = await readExemptions(deps.db)
    const { seeds } = await seedsOfIncident(q, pool)
    const names = new Map(
      (await deps.db.select({ id: connectors.id, name: connectors.name }).from(connectors)).map((c) => [c.id, c.name]),
    )
    const done = new Set(
      (
        await deps.db
          .select({ mailbox: quarantineRecords.mailbox, messageId: quarantineRecords.messageId })
          .from(quarantineRecords)
          .where(and(eq(quarantineRecords.incidentId, incidentId), eq(quarantineRecords.status, 'successful')))
      ).map((r) => `${r.mailbox}\n${r.messageId}`),
    )
    const seen = new Set<string>()
    const mailboxes = seeds.flatMap((s) => {
      const key = `${s.mailbox}\n${s.messageKey}`
      if (seen.has(key)) return []
      seen.add(key)
      const connectorId = routes.connectorFor(s.mailbox)
      const isExempt = exempt.has(s.mailbox) || (s.via !== null && exempt.has(s.via))
      const action: PreviewAction = isExempt
        ? 'exempt'
        : connectorId === undefined
          ? 'no connector'
          : done.has(key)
            ? 'done'
            : 'quarantine'
      return [
        {
          mailbox: s.mailbox,
          messageId: s.locator.by === 'messageId' ? s.locator.messageId : null,
          recipientType: TYPE_TITLES[s.recipientType] ?? s.recipientType,
          via: s.via,
          connector: connectorId === undefined ? null : (names.get(connectorId) ?? null),
          action,
        },
      ]
    })
    const count = (a: PreviewAction) => mailboxes.filter((m) => m.action === a).length
    return {
      incidentId,
      isCsvUpload: row!.sourceType === 'csv',
      mailboxes,
      counts: {
        quarantine: count('quarantine'),
        exempt: count('exempt'),
        noConnector: count('no connector'),
        done: count('done'),
      },
    }
  } finally {
    await pool.closeAll()
  }
}
