import { ConnectorError } from '../../core/src/connectors/errors.ts'
import { createHttpClient, resolveUnderPolicy } from '../../core/src/connectors/http.ts'
import type { CallContext, PerItem } from '../../core/src/connectors/types.ts'
import { createLogger } from '../../core/src/log.ts'

/**
 * The call context a job gives a mail connector, for tests against a loopback HTTPS peer: the real
 * HTTP client (on-premises egress policy, since the peer is on loopback) trusting the peer's
 * self-signed certificate through its `ca` option.
 */
export const peerContext = (ca: string): CallContext & { close(): Promise<void> } => {
  const policy = { isOnPremises: true }
  const http = createHttpClient({ policy, ca: [ca], timeoutMs: 10_000 })
  return {
    signal: new AbortController().signal,
    log: createLogger('silent'),
    http,
    resolve: (host) => resolveUnderPolicy(policy, host),
    close: () => http.close(),
  }
}

/**
 * What the job layer does with a bulk call's answers: items answered rate_limited or unavailable
 * are asked again after their retryAfterMs (≤ `rounds` times); everything else is final.
 * Answers the final result per item and how many rounds it took.
 */
export const untilSettled = async <Q, R>(
  items: Q[],
  call: (items: Q[]) => Promise<PerItem<R>[]>,
  rounds = 6,
): Promise<{ results: PerItem<R>[]; rounds: number }> => {
  const results: PerItem<R>[] = new Array(items.length)
  let pending = items.map((_, i) => i)
  let round = 0
  while (pending.length > 0 && round < rounds) {
    round++
    const answers = await call(pending.map((i) => items[i]!))
    const again: number[] = []
    let wait = 0
    answers.forEach((a, k) => {
      const i = pending[k]!
      results[i] = a
      if (!a.ok && (a.error.kind === 'rate_limited' || a.error.kind === 'unavailable')) {
        again.push(i)
        wait = Math.max(wait, a.error.retryAfterMs ?? 200)
      }
    })
    pending = again
    if (pending.length > 0) await new Promise((r) => setTimeout(r, Math.min(wait, 5_000)))
  }
  return { results, rounds: round }
}

export const okValue = <T>(r: PerItem<T> | undefined): T => {
  if (!r) throw new Error('no answer')
  if (!r.ok) throw r.error instanceof ConnectorError ? r.error : new Error('not ok')
  return r.value
}
