import { ConnectorError } from '../errors.ts'
import type { CallContext, MailCopy, MailForward, MailFound, MailLocator, PerItem } from '../types.ts'
import { accessHint, answerError, collectPages, odataString, userPath } from './paging.ts'
import type { GraphBody, GraphOp, GraphTransport } from './transport.ts'

/** What a mailbox's folders are, learnt by searches and reused by quarantine on the same instance. */
export type FolderMap = { places: Map<string, { place: MailCopy['place']; name: string }>; quarantineId?: string }

const SELECT = 'id,parentFolderId,isRead,internetMessageId,subject,from,receivedDateTime'
const WELL_KNOWN = [
  ['inbox', 'inbox'],
  ['deleteditems', 'deleted'],
  ['junkemail', 'junk'],
  ['sentitems', 'sent'],
] as const
/** the Recoverable Items "Deletions" folder (documented well-known name on Graph v1.0) */
export const RECOVERABLE = 'recoverableitemsdeletions'

const filterOf = (l: MailLocator) =>
  l.by === 'messageId'
    ? `internetMessageId eq ${odataString(l.messageId)}`
    : `from/emailAddress/address eq ${odataString(l.sender)} and subject eq ${odataString(l.subject)}` +
      ` and receivedDateTime ge ${new Date(l.receivedFrom).toISOString()} and receivedDateTime le ${new Date(l.receivedTo).toISOString()}`

/** A Graph message (https://learn.microsoft.com/graph/api/resources/message) as a MailCopy. */
export const toCopy = (
  mailbox: string,
  m: GraphBody,
  folders: FolderMap | undefined,
  inRecoverable = false,
): MailCopy => {
  const known = inRecoverable
    ? { place: 'recoverable' as const, name: 'Recoverable Items' }
    : (folders?.places.get(m.parentFolderId) ?? { place: 'folder' as const, name: '' })
  return {
    mailbox,
    providerId: m.id,
    folderId: m.parentFolderId,
    folderName: known.name,
    place: known.place,
    isRead: m.isRead === true,
    internetMessageId: m.internetMessageId ?? null,
    subject: m.subject ?? '',
    from: m.from?.emailAddress?.address ?? '',
    receivedAt: m.receivedDateTime ?? null,
  }
}

/** The ops that find a quarantine folder by name (hidden folders listed only when asked). */
export const quarantineLookup = (mailbox: string, name: string): GraphOp => ({
  key: mailbox,
  method: 'GET',
  url: `${userPath(mailbox)}/mailFolders?$filter=${encodeURIComponent(`displayName eq ${odataString(name)}`)}&includeHiddenFolders=true&$select=id,displayName,isHidden`,
})

/**
 * findMessages: per query one round of 7 `$batch` members (message search, Recoverable Items search,
 * four well-known folders, the quarantine folder), paging followed. Recoverable Items answering
 * 403/404/400 is reported in `unreachable`, with why and what to grant in `unreachableWhy`.
 */
export const findMessages = async (
  transport: GraphTransport,
  folderCache: Map<string, FolderMap>,
  quarantineName: string,
  queries: { mailbox: string; locator: MailLocator }[],
  ctx: CallContext,
): Promise<PerItem<MailFound>[]> => {
  const ops: GraphOp[] = []
  for (const { mailbox, locator } of queries) {
    const list = `?$filter=${encodeURIComponent(filterOf(locator))}&$select=${SELECT}&$top=100`
    const u = userPath(mailbox)
    ops.push({ key: mailbox, method: 'GET', url: `${u}/messages${list}` })
    ops.push({ key: mailbox, method: 'GET', url: `${u}/mailFolders/${RECOVERABLE}/messages${list}` })
    ops.push(quarantineLookup(mailbox, quarantineName))
  }
  const lists = await collectPages(transport, ops, ctx)
  const folderOps: GraphOp[] = []
  for (const { mailbox } of queries)
    for (const [wk] of WELL_KNOWN)
      folderOps.push({
        key: mailbox,
        method: 'GET',
        url: `${userPath(mailbox)}/mailFolders/${wk}?$select=id,displayName`,
      })
  const folders = await transport.run(folderOps, ctx)

  return queries.map(({ mailbox }, qi): PerItem<MailFound> => {
    const [found, recoverable, quarantine] = [lists[qi * 3]!, lists[qi * 3 + 1]!, lists[qi * 3 + 2]!]
    if ('error' in found) return { ok: false, error: found.error }
    if ('failed' in found)
      return { ok: false, error: answerError(found.failed, `mailbox ${mailbox}`, 'Mail.ReadWrite', mailbox) }
    const map: FolderMap = { places: new Map() }
    WELL_KNOWN.forEach(([, place], n) => {
      const a = folders[qi * WELL_KNOWN.length + n]!
      if (!(a instanceof ConnectorError) && a.status === 200)
        map.places.set(a.body.id, { place, name: a.body.displayName })
    })
    if ('values' in quarantine && quarantine.values[0]) {
      map.quarantineId = quarantine.values[0].id
      map.places.set(quarantine.values[0].id, { place: 'quarantine', name: quarantineName })
    }
    folderCache.set(mailbox.toLowerCase(), map)
    // Throttling that outlasted the budget fails the item (the job retries); only a refusal of the
    // folder itself (403/404/400: permissions, no archive) makes it unreachable.
    if ('error' in recoverable) return { ok: false, error: recoverable.error }
    const copies = found.values.map((m) => toCopy(mailbox, m, map))
    if ('values' in recoverable) {
      copies.push(...recoverable.values.map((m) => toCopy(mailbox, m, map, true)))
      return { ok: true, value: { copies, unreachable: [] } }
    }
    const { status } = recoverable.failed
    if (![400, 403, 404].includes(status))
      return { ok: false, error: answerError(recoverable.failed, `Recoverable Items of ${mailbox}`, 'Mail.ReadWrite') }
    const code = recoverable.failed.body?.error?.code ?? `HTTP ${status}`
    ctx.log.warn({ mailbox, status, code }, 'msgraph: Recoverable Items not reachable')
    const unreachableWhy =
      status === 403
        ? `HTTP 403 ${code}; ${accessHint(code, 'Mail.ReadWrite', mailbox)}`
        : `HTTP ${status} ${code} (no Recoverable Items folder reachable through Graph for this mailbox; see docs/connectors/msgraph.md)`
    return { ok: true, value: { copies, unreachable: [RECOVERABLE], unreachableWhy } }
  })
}

const FORWARD_PREFIX = /^\s*(fwd?|fw|tr|wg|rv|enc)\s*:\s*/i
const baseSubject = (s: string) => {
  let out = s
  while (FORWARD_PREFIX.test(out) || /^\s*re\s*:\s*/i.test(out))
    out = out.replace(FORWARD_PREFIX, '').replace(/^\s*re\s*:\s*/i, '')
  return out.trim().toLowerCase()
}

/**
 * findForwards: Sent Items after `after`, matched by References/In-Reply-To naming the Message-ID,
 * else (Graph often leaves internetMessageHeaders out for sent items) by a "FW:"/"Fwd:" subject of
 * the original's subject.
 */
export const findForwards = async (
  transport: GraphTransport,
  queries: { mailbox: string; messageId: string; subject: string; after: string }[],
  ctx: CallContext,
): Promise<PerItem<MailForward[]>[]> => {
  const ops = queries.map(
    (q): GraphOp => ({
      key: q.mailbox,
      method: 'GET',
      url:
        `${userPath(q.mailbox)}/mailFolders/sentitems/messages?$filter=${encodeURIComponent(`sentDateTime ge ${new Date(q.after).toISOString()}`)}` +
        '&$select=id,subject,internetMessageId,sentDateTime,toRecipients,ccRecipients,internetMessageHeaders&$top=100',
    }),
  )
  const lists = await collectPages(transport, ops, ctx)
  return queries.map((q, i): PerItem<MailForward[]> => {
    const l = lists[i]!
    if ('error' in l) return { ok: false, error: l.error }
    if ('failed' in l)
      return { ok: false, error: answerError(l.failed, `mailbox ${q.mailbox}`, 'Mail.ReadWrite', q.mailbox) }
    const want = baseSubject(q.subject)
    const value = l.values
      .filter((m) => {
        const headers: { name: string; value: string }[] = m.internetMessageHeaders ?? []
        const named = headers.some((h) => /^(references|in-reply-to)$/i.test(h.name) && h.value.includes(q.messageId))
        return named || (FORWARD_PREFIX.test(m.subject ?? '') && baseSubject(m.subject) === want)
      })
      .map((m) => ({
        messageId: m.internetMessageId,
        recipients: [...(m.toRecipients ?? []), ...(m.ccRecipients ?? [])].map((r) => r.emailAddress.address),
        sentAt: m.sentDateTime ?? null,
      }))
    return { ok: true, value }
  })
}
