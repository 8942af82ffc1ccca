import { and, eq } from 'drizzle-orm'
import { ConnectorError } from '../../connectors/errors.ts'
import type { MailLocator } from '../../connectors/types.ts'
import { supports } from '../../connectors/types.ts'
import { alertEmails, alerts, incidents, quarantineRecords } from '../../db/schema/index.ts'
import { AppError } from '../../errors.ts'
import { bulkCall, type connectorPool, isRetryable, type QuarantineContext } from './connector-calls.ts'
import { connectorsWith } from './route-mailboxes.ts'

/** One mailbox to search for one message, before it becomes a quarantine_records row. */
export type Seed = {
  mailbox: string
  messageKey: string
  locator: MailLocator
  recipientType: 'original' | 'dl' | 'forward' | 'search'
  via: string | null
  depth: number
  alertId: number | null
}

/** Delivery window searched around a known delivery time (and back from now without one). */
const SLACK_MS = 3_600_000
const LOOKBACK_MS = 7 * 86_400_000

/**
 * Inserts the seeds as rows (one per incident, mailbox and message: the unique key makes a
 * retried job find its rows again instead of adding new ones). Exempt mailboxes, and members of
 * an exempt group, are recorded 'whitelisted'; a mailbox no mail connector serves 'failed'.
 */
export const insertSeeds = async (
  q: QuarantineContext,
  seeds: Seed[],
  routes: { connectorFor(mailbox: string): number | undefined },
  exempt: Set<string>,
) => {
  if (seeds.length === 0) return
  const rows = seeds.map((s) => {
    const connectorId = routes.connectorFor(s.mailbox) ?? null
    const isExempt = exempt.has(s.mailbox) || (s.via !== null && s.recipientType !== 'forward' && exempt.has(s.via))
    return {
      incidentId: q.incidentId,
      alertId: s.alertId,
      responseRunId: q.runId,
      mailbox: s.mailbox,
      messageId: s.messageKey,
      recipientType: s.recipientType,
      via: s.via,
      depth: s.depth,
      locator: s.locator,
      connectorId,
      status: isExempt ? 'whitelisted' : connectorId ? 'pending' : 'failed',
      details: isExempt
        ? `exempt from quarantine (${exempt.has(s.mailbox) ? s.mailbox : s.via})`
        : connectorId
          ? ''
          : 'no mail connector serves this domain',
    }
  })
  for (let i = 0; i < rows.length; i += 1000)
    await q.db
      .insert(quarantineRecords)
      .values(rows.slice(i, i + 1000))
      .onConflictDoNothing()
}

/** Addresses a directory could not expand (and no other directory knew as a group): why, and whether a retry may help. */
export type Unexpanded = Map<string, { message: string; isRetryable: boolean }>

/**
 * The incident's recipients and messages as seeds: by Message-ID, or (without one) by sender,
 * subject and delivery window with recipient type 'search'. Recipients that a `directory.expand`
 * connector knows as groups are replaced by their members (type 'dl', via the group). A directory
 * that fails (unreachable, refused, one address or the whole call) fails no one here: its
 * addresses are searched as mailboxes and answered in `unexpanded`, so that the recipient that is
 * no mailbox (the group) is recorded failed naming the directory, and every other one is pulled.
 */
export const seedsOfIncident = async (
  q: QuarantineContext,
  pool: ReturnType<typeof connectorPool>,
): Promise<{ seeds: Seed[]; unexpanded: Unexpanded }> => {
  const [incident] = await q.db.select().from(incidents).where(eq(incidents.id, q.incidentId))
  const emails = await q.db
    .select({ alertId: alerts.id, e: alertEmails })
    .from(alertEmails)
    .innerJoin(alerts, eq(alerts.id, alertEmails.alertId))
    .where(and(eq(alerts.incidentId, q.incidentId), eq(alertEmails.isAbuseCopy, false)))
  const seeds: Seed[] = []
  for (const { alertId, e } of emails) {
    const at = e.deliveredAt?.getTime()
    const from = at ? at - SLACK_MS : (incident?.createdAt.getTime() ?? Date.now()) - LOOKBACK_MS
    const to = at ? at + SLACK_MS : Date.now() + SLACK_MS
    for (const r of e.recipients) {
      const mailbox = r.toLowerCase()
      seeds.push(
        e.messageId
          ? {
              mailbox,
              messageKey: e.messageId,
              locator: { by: 'messageId', messageId: e.messageId },
              recipientType: 'original',
              via: null,
              depth: 0,
              alertId,
            }
          : {
              mailbox,
              messageKey: `search:${e.sender.toLowerCase()}|${e.subject}|${at ?? ''}`.slice(0, 1000),
              locator: {
                by: 'attributes',
                sender: e.sender.toLowerCase(),
                subject: e.subject,
                receivedFrom: new Date(from).toISOString(),
                receivedTo: new Date(to).toISOString(),
              },
              recipientType: 'search',
              via: null,
              depth: 0,
              alertId,
            },
      )
    }
  }
  const addresses = [...new Set(seeds.map((s) => s.mailbox))]
  const members = new Map<string, string[]>()
  const failures: Unexpanded = new Map()
  const failed = (address: string, directory: string, err: unknown) => {
    const known = err instanceof ConnectorError || err instanceof AppError
    const message = `group expansion failed in directory ${directory}: ${known ? (err as Error).message : 'internal error'}`
    const prior = failures.get(address)
    failures.set(address, {
      message: prior ? `${prior.message}; ${message}` : message,
      isRetryable: (prior?.isRetryable ?? false) || (err instanceof ConnectorError ? isRetryable(err) : !known),
    })
  }
  for (const row of await connectorsWith(q.db, 'directory.expand')) {
    try {
      const opened = await pool.get(row.id)
      if (!supports(opened.connector, 'directory.expand')) continue
      const dir = opened.connector
      const answers = await bulkCall(addresses, (chunk) => dir.expandGroups(chunk, opened.ctx), q.signal)
      let n = 0
      answers.forEach((a, i) => {
        if (a.ok && a.value) members.set(addresses[i]!, [...(members.get(addresses[i]!) ?? []), ...a.value])
        else if (!a.ok) {
          if (n++ === 0) q.log.warn({ connector: row.name, err: a.error.message }, 'group expansion failed')
          failed(addresses[i]!, row.name, a.error)
        }
      })
    } catch (err) {
      // a directory refused or broken as a whole (auth, TLS, egress policy): its addresses only
      q.log.warn({ connector: row.name, err }, 'group expansion failed for every address')
      for (const a of addresses) failed(a, row.name, err)
    }
  }
  const unexpanded: Unexpanded = new Map([...failures].filter(([address]) => !members.has(address)))
  const expanded = seeds.flatMap((s) =>
    members.has(s.mailbox)
      ? [...new Set(members.get(s.mailbox)!.map((m) => m.toLowerCase()))].map((m) => ({
          ...s,
          mailbox: m,
          recipientType: s.recipientType === 'search' ? ('search' as const) : ('dl' as const),
          via: s.mailbox,
        }))
      : [s],
  )
  return { seeds: expanded, unexpanded }
}
