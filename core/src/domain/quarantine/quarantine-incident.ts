import { and, eq, inArray, isNotNull, sql } from 'drizzle-orm'
import { ConnectorError } from '../../connectors/errors.ts'
import { supports } from '../../connectors/types.ts'
import { quarantineRecords } from '../../db/schema/index.ts'
import { closeIncidents } from '../incidents/close-incidents.ts'
import { bulkCall, connectorPool, type QuarantineContext } from './connector-calls.ts'
import { readExemptions } from './exempt-from-quarantine.ts'
import { withMailboxLocks } from './mailbox-locks.ts'
import { insertSeeds, type Seed, seedsOfIncident } from './plan-quarantine.ts'
import { type CopyPair, pullMailboxes } from './pull-mailboxes.ts'
import { routeMailboxes } from './route-mailboxes.ts'

export type QuarantineOptions = { followForwards: boolean; maxForwardDepth: number; autoClose: boolean }
/** Row states a run still works on (a retried job resumes them); the others are final. */
const OPEN = ['pending', 'quarantining', 'failed']

/**
 * Forwards sent from the mailboxes quarantined at `depth`: new rows (type 'forward', via the
 * forwarding mailbox) for recipients inside the organisation, searched by the forward's Message-ID.
 */
const forwardSeeds = async (
  q: QuarantineContext,
  pool: ReturnType<typeof connectorPool>,
  depth: number,
  isInternal: (a: string) => boolean,
): Promise<Seed[]> => {
  const rows = await q.db
    .select()
    .from(quarantineRecords)
    .where(
      and(
        eq(quarantineRecords.incidentId, q.incidentId),
        eq(quarantineRecords.depth, depth),
        eq(quarantineRecords.status, 'successful'),
        isNotNull(quarantineRecords.connectorId),
      ),
    )
  const seeds: Seed[] = []
  const byConnector = Map.groupBy(rows, (r) => r.connectorId!)
  for (const [connectorId, group] of byConnector) {
    const opened = await pool.get(connectorId)
    const mail = opened.connector
    if (!supports(mail, 'mail.search')) continue
    const asks = group.flatMap((r) => {
      const copy = (r.copies as CopyPair[]).map((p) => p.original ?? p.quarantined).find((c) => c?.internetMessageId)
      if (!copy?.internetMessageId) return []
      const after = new Date(
        (copy.receivedAt ? Date.parse(copy.receivedAt) : r.createdAt.getTime()) - 60_000,
      ).toISOString()
      return [{ row: r, ask: { mailbox: r.mailbox, messageId: copy.internetMessageId, subject: copy.subject, after } }]
    })
    await withMailboxLocks(
      q,
      asks,
      (a) => a.ask.mailbox,
      async (held) => {
        const answers = await bulkCall(
          held.map((a) => a.ask),
          (chunk) => mail.findForwards(chunk, opened.ctx),
          q.signal,
        )
        answers.forEach((a, i) => {
          if (!a.ok) {
            q.log.warn({ err: a.error.message }, 'forward search failed for one mailbox')
            return
          }
          const { row } = held[i]!
          for (const f of a.value)
            for (const to of f.recipients.map((x) => x.toLowerCase()))
              if (isInternal(to) && to !== row.mailbox)
                seeds.push({
                  mailbox: to,
                  messageKey: f.messageId,
                  locator: { by: 'messageId', messageId: f.messageId },
                  recipientType: 'forward',
                  via: row.mailbox,
                  depth: depth + 1,
                  alertId: row.alertId,
                })
        })
      },
    )
  }
  return seeds
}

/**
 * Quarantines the incident's message(s) in every recipient's mailbox (groups expanded, forwards
 * inside the organisation followed up to `maxForwardDepth`), exempt addresses skipped and
 * recorded. Idempotent and resumable: rows are keyed per (incident, mailbox, message), every copy
 * is searched again before a move and one already in quarantine counts as done.
 * @throws ConnectorError unavailable when throttled/unavailable mailboxes remain after the in-run
 * retries (the job retries; finished rows are not touched again)
 */
export const quarantineIncident = async (q: QuarantineContext, opts: QuarantineOptions) => {
  const pool = connectorPool(q)
  try {
    const routes = await routeMailboxes(q.db)
    const exempt = await readExemptions(q.db)
    const { seeds, unexpanded } = await seedsOfIncident(q, pool)
    await insertSeeds(q, seeds, routes, exempt)
    let isRetryLeft = false
    for (let depth = 0; ; depth++) {
      const open = await q.db
        .select()
        .from(quarantineRecords)
        .where(
          and(
            eq(quarantineRecords.incidentId, q.incidentId),
            inArray(quarantineRecords.status, OPEN),
            isNotNull(quarantineRecords.connectorId),
          ),
        )
      isRetryLeft = (await pullMailboxes(q, pool, open, exempt, unexpanded)).isRetryLeft || isRetryLeft
      if (!opts.followForwards || depth >= opts.maxForwardDepth) break
      const seeds = await forwardSeeds(q, pool, depth, routes.isInternal)
      if (seeds.length === 0) break
      await insertSeeds(q, seeds, routes, exempt)
    }
    const counts = Object.fromEntries(
      (
        await q.db
          .select({ status: quarantineRecords.status, n: sql<number>`count(*)::int` })
          .from(quarantineRecords)
          .where(eq(quarantineRecords.incidentId, q.incidentId))
          .groupBy(quarantineRecords.status)
      ).map((c) => [c.status, c.n]),
    ) as Record<string, number>
    if (isRetryLeft)
      throw new ConnectorError(
        'unavailable',
        `quarantine incomplete (${JSON.stringify(counts)}); throttled or unavailable mailboxes are retried`,
      )
    const isComplete = !counts.failed && !counts.pending && !counts.quarantining
    if (opts.autoClose && isComplete && (counts.successful ?? 0) > 0)
      await closeIncidents(q.db, q.actor, [q.incidentId], {
        summary: 'Quarantined',
        detail: 'Automatically closed after successful quarantine',
      })
    return { status: isComplete ? ('succeeded' as const) : ('partial' as const), counts }
  } finally {
    await pool.closeAll()
  }
}
