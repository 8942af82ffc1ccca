import { setTimeout as sleep } from 'node:timers/promises'
import { ConnectorError } from '../errors.ts'

/**
 * Gmail's per-user quota (15,000 units per user per minute; list/get/modify cost 5) kept on our
 * side: a sliding window of the units spent per (service account, user) in this process, so a
 * bulk call over one mailbox slows down instead of being answered 429. The window is counted a
 * twentieth (at least a second) longer than Google's, so request latency cannot tip a call over.
 * A wait longer than `maxWaitMs` is not waited: the call is answered rate_limited with the wait
 * as retryAfterMs, and the job layer comes back then.
 */
const spent = new Map<string, { at: number; units: number }[]>()

export const GMAIL_UNITS = { list: 5, get: 5, modify: 5, trash: 5, labelsList: 1, labelsCreate: 5, profile: 1 }

export const acquireUnits = async (
  key: string,
  units: number,
  opts: { perWindow: number; windowMs: number; maxWaitMs: number; signal: AbortSignal },
) => {
  const window = opts.windowMs + Math.max(1000, Math.ceil(opts.windowMs / 20))
  const started = Date.now()
  for (;;) {
    const now = Date.now()
    const entries = (spent.get(key) ?? []).filter((e) => e.at > now - window)
    const used = entries.reduce((sum, e) => sum + e.units, 0)
    if (used + units <= opts.perWindow) {
      entries.push({ at: now, units })
      spent.set(key, entries)
      return
    }
    spent.set(key, entries)
    // the earliest moment enough units have left the window
    let freed = 0
    let until = now
    for (const e of entries) {
      freed += e.units
      until = e.at + window
      if (used - freed + units <= opts.perWindow) break
    }
    const wait = Math.max(1, until - now)
    if (now - started + wait > opts.maxWaitMs)
      throw new ConnectorError('rate_limited', 'gmail: the per-user quota is spent for now', { retryAfterMs: wait })
    await sleep(wait, undefined, { signal: opts.signal }).catch(() => {
      throw new ConnectorError('unavailable', 'aborted')
    })
  }
}
