import { ConnectorError } from '../errors.ts'
import type { CallContext, MailboxReader } from '../types.ts'
import type { GmailMailbox } from './mailbox.ts'

/** messages.get calls in flight per mailbox while fetching a round (each costs 5 quota units) */
const FETCH_PARALLEL = 4

/**
 * Opens an abuse mailbox's "folder" on Gmail for the poller (`mail.read`). A folder is a label:
 * `INBOX` (or another system label) by id, else a user label by name. What waits is every message
 * carrying that label (`messages.list` with `labelIds`, all pages, oldest first); a report's bytes
 * come from `messages.get` `format=raw` (base64url); a processed report gets the processed label
 * (created visible the first time, so the abuse team can browse it) and loses the folder's label in
 * one `messages.modify`. The label is the state: after a restart the list is exactly what is still to
 * do. Keys are Gmail message ids, which never change. Gmail pushes only through Cloud Pub/Sub
 * (`users.watch`), which needs a Google Cloud topic: mode `poll`. Every call is paced to the
 * per-user quota (mailbox.ts). @throws ConnectorError
 */
export const openGmailMailbox = async (
  box: GmailMailbox,
  target: { folder: string; processedFolder: string },
  ctx: CallContext,
): Promise<MailboxReader> => {
  const labelOf = async (name: string, create: boolean) => {
    const labels = await box.labels()
    const found =
      labels.find((l) => l.type === 'system' && l.id?.toLowerCase() === name.toLowerCase()) ??
      labels.find((l) => l.name === name)
    if (found?.id) return found.id
    if (!create) throw new ConnectorError('not_found', `gmail: ${box.address} has no label ${name}`)
    const made = await box.call(5, 'labels.create', () =>
      box.api.users.labels.create({
        userId: 'me',
        requestBody: { name, labelListVisibility: 'labelShow', messageListVisibility: 'show' },
      }),
    )
    labels.push(made)
    return made.id!
  }
  const folder = await labelOf(target.folder, false)
  let processed: string | undefined

  return {
    mode: 'poll',
    pending: async (limit) => {
      const ids: string[] = []
      let pageToken: string | undefined
      do {
        const page = await box.call(5, 'messages.list', () =>
          box.api.users.messages.list({ userId: 'me', labelIds: [folder], maxResults: 500, pageToken }),
        )
        for (const m of page.messages ?? []) if (m.id) ids.push(m.id)
        pageToken = page.nextPageToken ?? undefined
      } while (pageToken)
      // Gmail lists newest first
      return { keys: ids.reverse().slice(0, limit), backlog: ids.length }
    },
    fetch: async (keys) => {
      const out = new Map<string, Buffer>()
      const todo = [...keys]
      const worker = async () => {
        for (let id = todo.shift(); id !== undefined && !ctx.signal.aborted; id = todo.shift()) {
          try {
            const m = await box.call(5, 'messages.get', () =>
              box.api.users.messages.get({ userId: 'me', id, format: 'raw' }),
            )
            if (m.raw && m.labelIds?.includes(folder)) out.set(id, Buffer.from(m.raw, 'base64url'))
          } catch (err) {
            if (!(err instanceof ConnectorError && err.kind === 'not_found')) throw err // deleted meanwhile
          }
        }
      }
      await Promise.all(Array.from({ length: FETCH_PARALLEL }, worker))
      if (ctx.signal.aborted) throw new ConnectorError('unavailable', 'gmail: aborted')
      return out
    },
    markProcessed: async (keys) => {
      if (keys.length === 0) return
      processed ??= await labelOf(target.processedFolder, true)
      for (const id of keys) {
        try {
          await box.modify(id, [processed], [folder])
        } catch (err) {
          if (!(err instanceof ConnectorError && err.kind === 'not_found')) throw err
        }
      }
    },
    waitForMail: (ms) =>
      new Promise<void>((resolve) => {
        if (ctx.signal.aborted) return resolve()
        const timer = setTimeout(done, ms)
        function done() {
          clearTimeout(timer)
          ctx.signal.removeEventListener('abort', done)
          resolve()
        }
        ctx.signal.addEventListener('abort', done, { once: true })
      }),
    close: async () => {},
  }
}
