import { randomUUID } from 'node:crypto'
import { and, eq, sql } from 'drizzle-orm'
import type { PgUpdateSetSource } from 'drizzle-orm/pg-core'
import { type MailboxReader, supports } from '../../connectors/types.ts'
import type { Keyring } from '../../crypto/master-secret.ts'
import type { Db } from '../../db/client.ts'
import { abuseMailboxState, sources } from '../../db/schema/index.ts'
import type { Logger } from '../../log.ts'
import { openConnector } from '../connectors/open-connector.ts'
import { ABUSE_SOURCE_TYPE, type AbuseMailboxSettings, parseAbuseSettings } from './abuse-settings.ts'
import { ingestAbuseReports, recordedKeys } from './ingest-abuse-report.ts'

export type PollerOptions = {
  /** how often the set of enabled abuse mailboxes is read again (ms) */
  refreshMs?: number
  /** a poller holds its source's lease this long and renews it at a third of it; a killed worker's source is taken over after it */
  leaseSeconds?: number
  /** messages listed, fetched, stored (one statement) and moved per round */
  batch?: number
  /** longest wait between retries of a failing mailbox (ms) */
  maxBackoffMs?: number
}
type Deps = { db: Db; keyring: Keyring; dataDir: string; log: Logger }

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve()
    const done = () => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
  })

/** Takes or renews the source's lease for this owner; false while another live poller holds it. */
const takeLease = async (db: Db, sourceId: number, owner: string, seconds: number) => {
  const rows = await db.$client`
    INSERT INTO abuse_mailbox_state (source_id, lease_owner, lease_until)
    VALUES (${sourceId}, ${owner}, now() + make_interval(secs => ${seconds}))
    ON CONFLICT (source_id) DO UPDATE SET lease_owner = excluded.lease_owner, lease_until = excluded.lease_until
      WHERE abuse_mailbox_state.lease_owner = ${owner} OR abuse_mailbox_state.lease_owner IS NULL
        OR abuse_mailbox_state.lease_until < now()
    RETURNING source_id`
  return rows.length > 0
}

const setState = (db: Db, sourceId: number, values: PgUpdateSetSource<typeof abuseMailboxState>) =>
  db.update(abuseMailboxState).set(values).where(eq(abuseMailboxState.sourceId, sourceId))

/**
 * One abuse mailbox's loop, while `signal` is not aborted: hold the lease, open the folder through
 * the connector's `mail.read` (from the source's stored resume point, if the reader has one), and repeat: list what waits, store each report (ingestAbuseReport:
 * exactly once per key) and move the stored ones out of the folder; when nothing waits, IDLE (or
 * sleep) until new mail, the interval, or the lease renewal is due. A failing mailbox is retried
 * with a doubling backoff up to `maxBackoffMs`; each failure is on its health line (last error,
 * failures), never thrown: one mailbox cannot take the worker down.
 */
const runMailbox = async (
  deps: Deps,
  source: { id: number; name: string; settings: AbuseMailboxSettings },
  owner: string,
  opts: Required<PollerOptions>,
  signal: AbortSignal,
) => {
  const { db, log } = deps
  const s = source.settings
  const lg = log.child({ abuseMailbox: source.name })
  const renewMs = (opts.leaseSeconds * 1000) / 3
  let failures = 0
  while (!signal.aborted) {
    if (!(await takeLease(db, source.id, owner, opts.leaseSeconds).catch(() => false))) {
      await sleep(renewMs, signal)
      continue
    }
    let opened: Awaited<ReturnType<typeof openConnector>> | undefined
    let reader: MailboxReader | undefined
    try {
      opened = await openConnector(db, deps.keyring, s.connectorId, { signal, log: lg })
      if (!supports(opened.connector, 'mail.read'))
        throw new Error(`a ${opened.row.kind} connector cannot read mailboxes`)
      const [stored] = await db
        .select({ resumePoint: abuseMailboxState.resumePoint })
        .from(abuseMailboxState)
        .where(eq(abuseMailboxState.sourceId, source.id))
      reader = await opened.connector.openMailbox(s, opened.ctx, stored?.resumePoint)
      let resumePoint = stored?.resumePoint ?? null
      // kept per source once the reader says everything up to it is processed (Graph: the deltaLink)
      const keepResumePoint = async () => {
        const next = reader?.resumePoint?.() ?? null
        if (next === null || next === resumePoint) return
        await setState(db, source.id, { resumePoint: next })
        resumePoint = next
      }
      let nextPollAt = 0
      while (!signal.aborted) {
        if (!(await takeLease(db, source.id, owner, opts.leaseSeconds))) break
        if (reader.mode === 'poll' && Date.now() < nextPollAt) {
          await reader.waitForMail(Math.min(renewMs, nextPollAt - Date.now()))
          continue
        }
        const { keys, backlog } = await reader.pending(opts.batch)
        await setState(db, source.id, {
          lastPollAt: sql`now()`,
          lastSuccessAt: sql`now()`,
          backlog,
          mode: reader.mode,
          failures: 0,
          lastError: null,
        })
        failures = 0
        if (keys.length === 0) {
          await keepResumePoint()
          nextPollAt = Date.now() + s.intervalSeconds * 1000
          await reader.waitForMail(Math.min(renewMs, s.intervalSeconds * 1000))
          continue
        }
        // stored before a crash but not moved yet: only move those
        const recorded = await recordedKeys(db, source.id, keys)
        const raws = await reader.fetch(keys.filter((k) => !recorded.has(k)))
        const ref = { id: source.id, name: source.name, mailbox: s.mailbox }
        // the round's reports in one statement (one commit): all stored or none; a failed round is
        // retried whole, and the keys it did record (none) or an earlier crash recorded are only moved
        await ingestAbuseReports(db, deps.dataDir, ref, [...raws])
        if (signal.aborted) break
        const done = [...recorded, ...raws.keys()]
        await reader.markProcessed(done)
        await setState(db, source.id, {
          // counted from the records, not by rounds: a round that stored reports and then failed to
          // move them (their next round only moves) must still count them
          processed: sql`(SELECT count(*) FROM abuse_reports WHERE source_id = ${source.id})`,
          backlog: Math.max(0, backlog - done.length),
        })
        await keepResumePoint()
      }
    } catch (err) {
      if (signal.aborted) break
      failures++
      const message = (err instanceof Error ? err.message : String(err)).slice(0, 500)
      lg.warn({ err, failures }, 'abuse mailbox: poll failed; retrying')
      await setState(db, source.id, {
        lastPollAt: sql`now()`,
        lastError: message,
        lastErrorAt: sql`now()`,
        failures,
      }).catch(() => {})
      await sleep(Math.min(opts.maxBackoffMs, 1000 * 2 ** Math.min(failures - 1, 16)), signal)
    } finally {
      await reader?.close().catch(() => {})
      await opened?.close().catch(() => {})
    }
  }
  // give the lease back so another worker can take over at once
  await db
    .update(abuseMailboxState)
    .set({ leaseOwner: null, leaseUntil: null })
    .where(and(eq(abuseMailboxState.sourceId, source.id), eq(abuseMailboxState.leaseOwner, owner)))
    .catch(() => {})
}

/**
 * The abuse-mailbox pollers of a worker process: one loop per enabled `abuse_mailbox` source,
 * started, restarted (settings changed) and stopped as the sources change (read every
 * `refreshMs`). Several worker processes share the sources through a per-source lease
 * (`abuse_mailbox_state.lease_*`), so one mailbox is read by one process at a time. Returns the
 * stop function, which ends every loop and waits for them.
 */
export const startAbusePollers = async (deps: Deps, options: PollerOptions = {}) => {
  const opts: Required<PollerOptions> = {
    refreshMs: options.refreshMs ?? 5000,
    leaseSeconds: options.leaseSeconds ?? 30,
    batch: options.batch ?? 200,
    maxBackoffMs: options.maxBackoffMs ?? 300_000,
  }
  const owner = randomUUID()
  const loops = new Map<number, { key: string; abort: AbortController; done: Promise<void> }>()
  let stopped = false
  const refresh = async () => {
    const rows = await deps.db
      .select()
      .from(sources)
      .where(and(eq(sources.type, ABUSE_SOURCE_TYPE), eq(sources.isEnabled, true)))
    const wanted = new Map<number, { name: string; settings: AbuseMailboxSettings; key: string }>()
    for (const r of rows) {
      try {
        const settings = parseAbuseSettings(r.settings)
        wanted.set(r.id, { name: r.name, settings, key: JSON.stringify([r.name, settings]) })
      } catch (err) {
        deps.log.warn({ err, source: r.id }, 'abuse mailbox: settings unreadable; not polled')
      }
    }
    for (const [id, loop] of loops)
      if (wanted.get(id)?.key !== loop.key) {
        loop.abort.abort()
        await loop.done
        loops.delete(id)
      }
    for (const [id, w] of wanted)
      if (!loops.has(id) && !stopped) {
        const abort = new AbortController()
        const done = runMailbox(deps, { id, name: w.name, settings: w.settings }, owner, opts, abort.signal).catch(
          (err) => deps.log.error({ err }, 'abuse mailbox: poller ended'),
        )
        loops.set(id, { key: w.key, abort, done })
      }
  }
  let refreshing: Promise<void> = Promise.resolve()
  const tick = () => {
    refreshing = refreshing
      .then(() => (stopped ? undefined : refresh()))
      .catch((err) => deps.log.error({ err }, 'abuse mailbox: reading the sources failed'))
  }
  tick()
  const timer = setInterval(tick, opts.refreshMs)
  await refreshing
  return async () => {
    stopped = true
    clearInterval(timer)
    await refreshing
    for (const l of loops.values()) l.abort.abort()
    await Promise.all([...loops.values()].map((l) => l.done))
    loops.clear()
  }
}
