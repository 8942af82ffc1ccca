import { ConnectorError } from '../errors.ts'
import type { CallContext, MailboxReader } from '../types.ts'
import type { ImapSettings } from './manifest.ts'
import { openSession, toConnectorError } from './session.ts'

const keyOf = (uidValidity: bigint, uid: number) => `${uidValidity}:${uid}`

/**
 * Opens an abuse mailbox's folder through the master user and keeps the session for the poller:
 * keys are `UIDVALIDITY:UID` (a UID is never reused while UIDVALIDITY stands, RFC 3501 2.3.1.1);
 * processed messages are MOVEd (RFC 6851) into `processedFolder`, created (subscribed, so the abuse
 * team can browse it) the first time. New mail is awaited with IDLE (RFC 2177) when the server
 * offers it, broken by the next command; else the caller polls. @throws ConnectorError
 */
export const openImapMailbox = async (
  s: ImapSettings,
  password: string,
  target: { mailbox: string; folder: string; processedFolder: string },
  ctx: CallContext,
): Promise<MailboxReader> => {
  const session = await openSession(s, password, target.mailbox, ctx)
  const { client } = session
  let uidValidity: bigint
  try {
    const box = await client.mailboxOpen(target.folder)
    uidValidity = BigInt(box.uidValidity)
  } catch (err) {
    await session.close()
    throw toConnectorError(err)
  }
  let processedExists = false
  const uidsOf = (keys: string[]) =>
    keys.flatMap((k) => {
      const [v, uid] = k.split(':')
      return v === String(uidValidity) && /^\d+$/.test(uid ?? '') ? [Number(uid)] : []
    })
  const guard = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn()
    } catch (err) {
      if (ctx.signal.aborted) throw new ConnectorError('unavailable', 'imap: aborted', { cause: err })
      throw toConnectorError(err)
    }
  }
  return {
    mode: client.capabilities.has('IDLE') ? 'idle' : 'poll',
    pending: (limit) =>
      guard(async () => {
        const uids = ((await client.search({ all: true }, { uid: true })) || []).sort((a, b) => a - b)
        return { keys: uids.slice(0, limit).map((u) => keyOf(uidValidity, u)), backlog: uids.length }
      }),
    fetch: (keys) =>
      guard(async () => {
        const out = new Map<string, Buffer>()
        const uids = uidsOf(keys)
        if (uids.length === 0) return out
        for (const m of await client.fetchAll(uids.join(','), { source: true, uid: true }, { uid: true }))
          if (m.source) out.set(keyOf(uidValidity, m.uid), Buffer.from(m.source))
        return out
      }),
    markProcessed: (keys) =>
      guard(async () => {
        const uids = uidsOf(keys)
        if (uids.length === 0) return
        if (!processedExists) {
          const listed = await client.list()
          if (!listed.some((f) => f.path === target.processedFolder)) {
            await client.mailboxCreate(target.processedFolder).catch((err) => {
              if ((err as { serverResponseCode?: string }).serverResponseCode !== 'ALREADYEXISTS') throw err
            })
            await client.mailboxSubscribe(target.processedFolder).catch(() => {})
          }
          processedExists = true
        }
        await client.messageMove(uids.join(','), target.processedFolder, { uid: true })
      }),
    waitForMail: async (ms) => {
      if (ctx.signal.aborted) return
      if (!client.capabilities.has('IDLE')) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, ms)
          function done() {
            clearTimeout(timer)
            ctx.signal.removeEventListener('abort', done)
            resolve()
          }
          ctx.signal.addEventListener('abort', done, { once: true })
        })
        return
      }
      await guard(async () => {
        const idling = client.idle()
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, ms)
          client.once('exists', done)
          client.once('close', done)
          ctx.signal.addEventListener('abort', done, { once: true })
          function done() {
            clearTimeout(timer)
            client.off('exists', done)
            client.off('close', done)
            ctx.signal.removeEventListener('abort', done)
            resolve()
          }
        })
        if (client.usable) await client.noop() // ends IDLE (imapflow sends DONE before the next command)
        await idling
        if (!client.usable) throw new ConnectorError('unavailable', 'imap: connection closed')
      })
    },
    close: () => session.close(),
  }
}
