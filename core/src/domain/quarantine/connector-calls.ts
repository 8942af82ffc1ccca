import { ConnectorError } from '../../connectors/errors.ts'
import type { CallContext, Connector, PerItem } from '../../connectors/types.ts'
import type { Keyring } from '../../crypto/master-secret.ts'
import type { Db } from '../../db/client.ts'
import type { connectors } from '../../db/schema/index.ts'
import type { Logger } from '../../log.ts'
import type { Actor } from '../../policy/actor.ts'
import { openConnector } from '../connectors/open-connector.ts'

/** What every quarantine step gets: who acts (audited), on which incident, under which run. */
export type QuarantineContext = {
  db: Db
  keyring: Keyring
  log: Logger
  signal: AbortSignal
  actor: Actor
  incidentId: number
  runId: number | null
}

/** Queries per bulk call: the connector batches further (Graph `$batch` of 20, one IMAP session per mailbox). */
export const CHUNK = 200
/** Chunks in flight at once per connector. */
const PARALLEL_CHUNKS = 4
/** In-run retries of a throttled or unavailable item before it is left to the job's own retries. */
const RETRIES = 3
const RETRYABLE = new Set(['rate_limited', 'unavailable'])
export const isRetryable = (err: ConnectorError) => RETRYABLE.has(err.kind)

type Opened = { row: typeof connectors.$inferSelect; connector: Connector; ctx: CallContext; close(): Promise<void> }

/** Opens each connector once per run; `closeAll` when done. */
export const connectorPool = (q: QuarantineContext) => {
  const open = new Map<number, Promise<Opened>>()
  return {
    get(id: number) {
      let p = open.get(id)
      if (!p) {
        p = openConnector(q.db, q.keyring, id, { signal: q.signal, log: q.log })
        open.set(id, p)
      }
      return p
    },
    async closeAll() {
      for (const p of open.values()) await (await p.catch(() => undefined))?.close()
    },
  }
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => {
      clearTimeout(t)
      resolve()
    })
  })

/**
 * Calls a bulk connector method over `items` in chunks of CHUNK (a few chunks at once), answering
 * per item in order. Items answered rate_limited/unavailable (or whose whole chunk failed so) are
 * asked again up to RETRIES times after max(retryAfterMs, exponential backoff); what is still
 * failing is answered as such. Other whole-call failures (auth, rejected) are thrown.
 */
export const bulkCall = async <Q, R>(
  items: Q[],
  call: (chunk: Q[]) => Promise<PerItem<R>[]>,
  signal: AbortSignal,
): Promise<PerItem<R>[]> => {
  const out = new Array<PerItem<R>>(items.length)
  let pending = items.map((_, i) => i)
  for (let attempt = 0; pending.length > 0; attempt++) {
    const chunks: number[][] = []
    for (let i = 0; i < pending.length; i += CHUNK) chunks.push(pending.slice(i, i + CHUNK))
    const retry: number[] = []
    let wait = 0
    for (let c = 0; c < chunks.length; c += PARALLEL_CHUNKS) {
      await Promise.all(
        chunks.slice(c, c + PARALLEL_CHUNKS).map(async (idx) => {
          let answers: PerItem<R>[]
          try {
            answers = await call(idx.map((i) => items[i]!))
          } catch (err) {
            if (!(err instanceof ConnectorError) || !isRetryable(err)) throw err
            answers = idx.map(() => ({ ok: false, error: err }))
          }
          idx.forEach((i, k) => {
            const a = answers[k] ?? { ok: false, error: new ConnectorError('unavailable', 'no answer for this item') }
            out[i] = a
            if (!a.ok && isRetryable(a.error) && attempt < RETRIES) {
              retry.push(i)
              wait = Math.max(wait, a.error.retryAfterMs ?? 0)
            }
          })
        }),
      )
    }
    if (retry.length === 0 || signal.aborted) break
    await sleep(Math.min(Math.max(wait, 250 * 2 ** attempt), 15_000), signal)
    pending = retry
  }
  return out
}
