import { ImapFlow, type ListResponse } from 'imapflow'
import { ConnectorError } from '../errors.ts'
import type { CallContext, MailCopy } from '../types.ts'
import type { ImapSettings } from './manifest.ts'

type ImapError = Error & {
  code?: string
  authenticationFailed?: boolean
  serverResponseCode?: string
  responseText?: string
  tlsFailed?: boolean
}

/** Maps an imapflow error onto the connector error kinds. A refused login is `auth` unless `forMailbox` says whose. */
export const toConnectorError = (err: unknown, forMailbox?: string): ConnectorError => {
  if (err instanceof ConnectorError) return err
  const e = err as ImapError
  const detail = `imap: ${e.responseText || e.message || String(err)}`.slice(0, 500)
  if (e.authenticationFailed || e.serverResponseCode === 'AUTHENTICATIONFAILED')
    return forMailbox
      ? new ConnectorError(
          'not_found',
          `imap: login to ${forMailbox} refused (no such mailbox, or the master login is wrong)`,
          { cause: err },
        )
      : new ConnectorError('auth', detail, { cause: err })
  if (e.serverResponseCode === 'NONEXISTENT' || e.serverResponseCode === 'TRYCREATE')
    return new ConnectorError('not_found', detail, { cause: err })
  if (e.serverResponseCode === 'LIMIT' || e.code === 'ETHROTTLE')
    return new ConnectorError('rate_limited', detail, { cause: err, retryAfterMs: 5000 })
  if (e.tlsFailed) return new ConnectorError('rejected', detail, { cause: err })
  return new ConnectorError('unavailable', detail, { cause: err })
}

/**
 * One logged-in session as `mailbox` (through the master user), or as the master user alone when
 * `mailbox` is empty. Connects to the address the egress policy allowed, TLS checked against the
 * configured name; the call's abort signal closes it.
 */
export const openSession = async (s: ImapSettings, password: string, mailbox: string, ctx: CallContext) => {
  const { address } = await ctx.resolve(s.host)
  const ms = s.timeoutSeconds * 1000
  const client = new ImapFlow({
    host: address,
    port: s.port,
    secure: s.security === 'tls',
    doSTARTTLS: s.security === 'starttls' ? true : s.security === 'none' ? false : undefined,
    servername: s.host,
    tls: { rejectUnauthorized: s.verifyCertificate, servername: s.host },
    auth: { user: mailbox ? `${mailbox}${s.masterSeparator}${s.masterUser}` : s.masterUser, pass: password },
    logger: false,
    disableAutoIdle: true,
    connectionTimeout: ms,
    greetingTimeout: ms,
    socketTimeout: Math.max(ms, 60_000),
  })
  // imapflow emits 'error' on socket failures; the pending command rejects as well.
  client.on('error', () => {})
  const abort = () => client.close()
  ctx.signal.addEventListener('abort', abort, { once: true })
  try {
    await client.connect()
  } catch (err) {
    ctx.signal.removeEventListener('abort', abort)
    client.close()
    throw toConnectorError(err, mailbox || undefined)
  }
  return {
    client,
    async close() {
      ctx.signal.removeEventListener('abort', abort)
      await client.logout().catch(() => client.close())
    },
  }
}

export type Session = Awaited<ReturnType<typeof openSession>>

/** What kind of place a folder is (SPECIAL-USE first, then the configured quarantine folder). */
export const placeOf = (folder: ListResponse, quarantinePath: string): MailCopy['place'] => {
  if (folder.path === quarantinePath) return 'quarantine'
  switch (folder.specialUse) {
    case '\\Inbox':
      return 'inbox'
    case '\\Junk':
      return 'junk'
    case '\\Trash':
      return 'deleted'
    case '\\Sent':
      return 'sent'
    default:
      return folder.path.toUpperCase() === 'INBOX' ? 'inbox' : 'folder'
  }
}

/** providerId of a copy: UIDVALIDITY, UID and folder path (the path last: it may hold any character). */
export const providerIdOf = (uidValidity: bigint | number, uid: number, path: string) => `${uidValidity}:${uid}:${path}`
export const parseProviderId = (id: string) => {
  const m = /^(\d+):(\d+):(.*)$/s.exec(id)
  if (!m) throw new ConnectorError('rejected', 'imap: not an IMAP provider id')
  return { uidValidity: m[1]!, uid: Number(m[2]), path: m[3]! }
}

/** Runs `fn` over items with at most `limit` running at once, answers in order. */
export const mapLimit = async <T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> => {
  const out = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}
