import { ConnectorError } from './errors.ts'
import type { PerItem } from './types.ts'

/**
 * Runs a bulk call's items the way mail platforms want them: mailboxes in parallel (at most
 * `concurrency` at once), the items of one mailbox one after another (Gmail's and EWS's limits
 * are per mailbox). Answers per item in the order asked. An item's ConnectorError becomes its
 * answer, except `auth` — the credentials themselves refused — which fails the whole call, as the
 * contract asks (`PerItem`). A non-ConnectorError is a bug and is rethrown.
 */
export const perMailbox = async <Q extends { mailbox: string }, R>(
  items: readonly Q[],
  run: (item: Q) => Promise<R>,
  opts: { concurrency?: number; signal: AbortSignal },
): Promise<PerItem<R>[]> => {
  const out: PerItem<R>[] = new Array(items.length)
  const groups = new Map<string, number[]>()
  items.forEach((item, i) => {
    const key = item.mailbox.toLowerCase()
    groups.set(key, [...(groups.get(key) ?? []), i])
  })
  const queue = [...groups.values()]
  let fatal: unknown
  const worker = async () => {
    for (let group = queue.shift(); group && fatal === undefined; group = queue.shift()) {
      for (const i of group) {
        if (fatal !== undefined || opts.signal.aborted) break
        try {
          out[i] = { ok: true, value: await run(items[i]!) }
        } catch (err) {
          if (!(err instanceof ConnectorError) || err.kind === 'auth') fatal = err
          else out[i] = { ok: false, error: err }
        }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 8, groups.size) }, worker))
  if (fatal !== undefined) throw fatal
  if (opts.signal.aborted) throw new ConnectorError('unavailable', 'aborted')
  return out
}

/** The bare address of `Name <a@b>` or `a@b`, lower-cased; null when there is none. */
export const addressOf = (value: string): string | null => {
  const m = /<([^<>\s]+@[^<>\s]+)>/.exec(value) ?? /([^\s<>",;]+@[^\s<>",;]+)/.exec(value)
  return m ? m[1]!.toLowerCase() : null
}

/** Every address in a To/Cc header value (commas inside quoted names are skipped). */
export const addressesOf = (value: string): string[] =>
  [...value.matchAll(/(?:"[^"]*"|[^,])+/g)].map((m) => addressOf(m[0])).filter((a): a is string => a !== null)

/** True when `subject` is a forward (or reply) of `original`: `Fwd: `, `FW: `, `Re: `… prefixes stripped. */
export const isForwardOf = (subject: string, original: string) => {
  const strip = (s: string) =>
    s
      .replace(/^\s*((re|fwd?|fw|tr|wg|aw|sv|vs)\s*(\[\d+\])?\s*:\s*)+/i, '')
      .trim()
      .toLowerCase()
  return strip(original) !== '' && strip(subject) === strip(original)
}
