import { randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { XMLParser } from 'fast-xml-parser'
import { selfSignedLoopbackCert } from './tls-cert.ts'

/**
 * Exchange Web Services (SOAP 1.1) on loopback HTTPS with real mailbox state, modelling the
 * operations the ews connector uses as Exchange 2013–2019 answers them
 * (https://learn.microsoft.com/exchange/client-developer/web-service-reference/ews-operations-in-exchange):
 *  - Basic authentication (401 otherwise); ExchangeImpersonation honoured only for mailboxes the
 *    account may impersonate (Fault ErrorImpersonateUserDenied; unknown mailbox: Fault
 *    ErrorNonExistentMailbox); under delegation the distinguished folder's Mailbox must be one the
 *    account has FullAccess to (ErrorAccessDenied), and Recoverable Items only with `delegationReachesDumpster`.
 *  - Folders: the tree under msgfolderroot (inbox, deleteditems, junkemail, sentitems, user folders,
 *    hidden ones) and recoverableitemsdeletions outside it; GetFolder, FindFolder (Shallow with a
 *    DisplayName restriction, Deep with paging), CreateFolder (PR_ATTR_HIDDEN recorded).
 *  - Items: FindItem (Shallow only, several parent folders, restrictions on PidTagInternetMessageId
 *    0x1035, Subject, DateTimeReceived/Sent, And; SoftDeleted with a restriction answers nothing),
 *    GetItem (recipients; IncludeMimeContent), MoveItem (a new ItemId on every move), UpdateItem (IsRead);
 *    FindItem pages by IndexedPageItemView (newest first, at most `findItemPageSize` a page).
 *  - ExpandDL: one level per call (nested lists appear as PublicDL); a non-list → ErrorNameResolutionNoResults.
 *  - Throttling: more than `maxConcurrency` requests of the account in flight → Fault ErrorServerBusy
 *    with BackOffMilliseconds and a violation; a request before a back-off ran out → violation.
 *    `injectBusy(n, ms)` / `inject5xx(n)` answer the next requests so without a violation.
 */
type Item = {
  id: string
  folderId: string
  subject: string
  from: string
  to: string[]
  cc: string[]
  internetMessageId: string | null
  isRead: boolean
  received: string
  sent: string
  references: string
  /** the RFC 822 text GetItem's IncludeMimeContent answers (made up from the fields when not given) */
  mime?: string
}
type Folder = { id: string; name: string; parentId: string | null; distinguished?: string; isHidden: boolean }
type Box = { folders: Map<string, Folder>; items: Map<string, Item> }

const WELL_KNOWN = ['inbox', 'deleteditems', 'junkemail', 'sentitems', 'drafts']
const NS =
  'xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"'
const esc = (s: string) => s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!)
// biome-ignore lint/suspicious/noExplicitAny: parsed SOAP
type Node = any
const arr = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v])

export const startEwsPeer = async (opts: {
  username: string
  password: string
  mailboxes: string[]
  impersonates?: string[]
  fullAccess?: string[]
  delegationReachesDumpster?: boolean
  lists?: Record<string, string[]>
  maxConcurrency?: number
  latencyMs?: number
  /** FindItem answers at most this many items a page (Exchange's EWSFindCountLimit; default 1000) */
  findItemPageSize?: number
}) => {
  const tls = selfSignedLoopbackCert()
  const parser = new XMLParser({
    removeNSPrefix: true,
    ignoreAttributes: false,
    attributeNamePrefix: '@',
    parseTagValue: false,
  })
  const boxes = new Map<string, Box>()
  const owner = new Map<string, string>() // folder or item id → mailbox
  const newId = (kind: string) => `AA${kind}${randomBytes(18).toString('base64url')}`
  const addFolder = (mailbox: string, f: Omit<Folder, 'id'>) => {
    const folder = { ...f, id: newId('F') }
    boxes.get(mailbox)!.folders.set(folder.id, folder)
    owner.set(folder.id, mailbox)
    return folder
  }
  for (const m of opts.mailboxes) {
    const mb = m.toLowerCase()
    boxes.set(mb, { folders: new Map(), items: new Map() })
    const root = addFolder(mb, { name: 'Root', parentId: null, distinguished: 'root', isHidden: false })
    const top = addFolder(mb, {
      name: 'Top of Information Store',
      parentId: root.id,
      distinguished: 'msgfolderroot',
      isHidden: false,
    })
    const names: Record<string, string> = {
      inbox: 'Inbox',
      deleteditems: 'Deleted Items',
      junkemail: 'Junk Email',
      sentitems: 'Sent Items',
      drafts: 'Drafts',
    }
    for (const d of WELL_KNOWN) addFolder(mb, { name: names[d]!, parentId: top.id, distinguished: d, isHidden: false })
    const rir = addFolder(mb, {
      name: 'Recoverable Items',
      parentId: root.id,
      distinguished: 'recoverableitemsroot',
      isHidden: true,
    })
    addFolder(mb, { name: 'Deletions', parentId: rir.id, distinguished: 'recoverableitemsdeletions', isHidden: true })
  }
  const violations: string[] = []
  const calls: string[] = []
  let inFlight = 0
  let backOffUntil = 0
  let busyAnsweredAt = 0
  let busy = { count: 0, ms: 0 }
  let fail5xx = 0

  const envelope = (body: string) =>
    `<?xml version="1.0" encoding="utf-8"?><s:Envelope ${NS}><s:Header><t:ServerVersionInfo MajorVersion="15" MinorVersion="1" MajorBuildNumber="2507" MinorBuildNumber="6"/></s:Header><s:Body>${body}</s:Body></s:Envelope>`
  const fault = (res: ServerResponse, code: string, text: string, backOffMs?: number) =>
    res
      .writeHead(500, { 'content-type': 'text/xml; charset=utf-8' })
      .end(
        envelope(
          `<s:Fault><faultcode xmlns:a="http://schemas.microsoft.com/exchange/services/2006/types">a:${code}</faultcode><faultstring xml:lang="en-US">${esc(text)}</faultstring><detail><e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">${code}</e:ResponseCode><e:Message xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">${esc(text)}</e:Message>${backOffMs !== undefined ? `<t:MessageXml><t:Value Name="BackOffMilliseconds">${backOffMs}</t:Value></t:MessageXml>` : ''}</detail></s:Fault>`,
        ),
      )
  const ok = (op: string, inner: string) =>
    `<m:${op}ResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>${inner}</m:${op}ResponseMessage>`
  const bad = (op: string, code: string, text = code) =>
    `<m:${op}ResponseMessage ResponseClass="Error"><m:MessageText>${esc(text)}</m:MessageText><m:ResponseCode>${code}</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey></m:${op}ResponseMessage>`
  const folderXml = (f: Folder) =>
    `<t:Folder><t:FolderId Id="${f.id}" ChangeKey="AQ"/><t:DisplayName>${esc(f.name)}</t:DisplayName></t:Folder>`
  const mbXml = (a: string) =>
    `<t:Mailbox><t:EmailAddress>${esc(a)}</t:EmailAddress><t:RoutingType>SMTP</t:RoutingType></t:Mailbox>`
  const mimeOf = (i: Item) =>
    `From: ${i.from}\r\nTo: ${i.to.join(', ')}\r\nSubject: ${i.subject}\r\n${i.internetMessageId ? `Message-ID: ${i.internetMessageId}\r\n` : ''}\r\nbody\r\n`
  const itemXml = (i: Item, full = false, mime = false) =>
    `<t:Message><t:ItemId Id="${i.id}" ChangeKey="CQ"/>${mime ? `<t:MimeContent CharacterSet="UTF-8">${Buffer.from(i.mime ?? mimeOf(i), 'latin1').toString('base64')}</t:MimeContent>` : ''}<t:ParentFolderId Id="${i.folderId}"/><t:Subject>${esc(i.subject)}</t:Subject><t:DateTimeReceived>${i.received}</t:DateTimeReceived><t:DateTimeSent>${i.sent}</t:DateTimeSent>${i.references ? `<t:InReplyTo>${esc(i.references)}</t:InReplyTo>` : ''}${full ? `<t:ToRecipients>${i.to.map(mbXml).join('')}</t:ToRecipients>${i.cc.length ? `<t:CcRecipients>${i.cc.map(mbXml).join('')}</t:CcRecipients>` : ''}` : ''}<t:IsRead>${i.isRead}</t:IsRead>${i.internetMessageId ? `<t:InternetMessageId>${esc(i.internetMessageId)}</t:InternetMessageId>` : ''}<t:From>${mbXml(i.from)}</t:From>${i.references ? `<t:References>${esc(i.references)}</t:References>` : ''}</t:Message>`

  /** Resolves a folder reference to [mailbox, folder], checking the access mode; an error code otherwise. */
  const folderOf = (ref: Node, acting: string | null): [string, Folder] | string => {
    if (ref.FolderId) {
      const id = ref.FolderId['@Id']
      const mb = owner.get(id)
      const f = mb ? boxes.get(mb)!.folders.get(id) : undefined
      if (!mb || !f) return 'ErrorFolderNotFound'
      if (acting ? acting !== mb : !(opts.fullAccess ?? []).includes(mb)) return 'ErrorAccessDenied'
      return [mb, f]
    }
    const d = ref.DistinguishedFolderId
    const named = d?.Mailbox?.EmailAddress ? String(d.Mailbox.EmailAddress).toLowerCase() : null
    const mb = acting ?? named
    if (!mb) return 'ErrorMissingEmailAddress'
    if (!boxes.has(mb)) return 'ErrorNonExistentMailbox'
    if (!acting) {
      if (!(opts.fullAccess ?? []).includes(mb)) return 'ErrorAccessDenied'
      if (String(d['@Id']).startsWith('recoverableitems') && !opts.delegationReachesDumpster) return 'ErrorAccessDenied'
    }
    const f = [...boxes.get(mb)!.folders.values()].find((x) => x.distinguished === d['@Id'])
    return f ? [mb, f] : 'ErrorFolderNotFound'
  }
  const refsOf = (parent: Node): Node[] => [
    ...arr(parent?.FolderId).map((f: Node) => ({ FolderId: f })),
    ...arr(parent?.DistinguishedFolderId).map((d: Node) => ({ DistinguishedFolderId: d })),
  ]
  const valueOfField = (i: Item, n: Node): string | null => {
    if (n.ExtendedFieldURI) return n.ExtendedFieldURI['@PropertyTag'] === '0x1035' ? i.internetMessageId : null
    const f = n.FieldURI?.['@FieldURI']
    return f === 'item:Subject'
      ? i.subject
      : f === 'item:DateTimeReceived'
        ? i.received
        : f === 'item:DateTimeSent'
          ? i.sent
          : null
  }
  const test = (i: Item, r: Node): boolean =>
    Object.entries(r).every(([op, v]) =>
      arr(v as Node).every((n: Node) => {
        if (op === 'And') return test(i, n)
        const have = valueOfField(i, n)
        const want = String(n.FieldURIOrConstant?.Constant?.['@Value'] ?? '')
        if (have === null) return false
        if (op === 'IsEqualTo') return have.toLowerCase() === want.toLowerCase()
        if (op === 'IsGreaterThanOrEqualTo') return Date.parse(have) >= Date.parse(want)
        if (op === 'IsLessThanOrEqualTo') return Date.parse(have) <= Date.parse(want)
        throw new Error(`peer: restriction ${op} not modelled`)
      }),
    )
  const under = (box: Box, f: Folder, root: Folder): boolean => {
    for (let p = f.parentId; p; p = box.folders.get(p)?.parentId ?? null) if (p === root.id) return true
    return false
  }

  const operations: Record<string, (req: Node, acting: string | null) => string> = {
    GetFolder: (r, acting) =>
      refsOf(r.FolderIds)
        .map((ref) => {
          const got = folderOf(ref, acting)
          return typeof got === 'string'
            ? bad('GetFolder', got)
            : ok('GetFolder', `<m:Folders>${folderXml(got[1])}</m:Folders>`)
        })
        .join(''),
    FindFolder: (r, acting) =>
      refsOf(r.ParentFolderIds)
        .map((ref) => {
          const got = folderOf(ref, acting)
          if (typeof got === 'string') return bad('FindFolder', got)
          const [mb, parent] = got
          const box = boxes.get(mb)!
          let list = [...box.folders.values()].filter((f) =>
            r['@Traversal'] === 'Deep' ? under(box, f, parent) : f.parentId === parent.id,
          )
          if (r.Restriction) {
            const want = String(r.Restriction.IsEqualTo?.FieldURIOrConstant?.Constant?.['@Value'] ?? '')
            list = list.filter((f) => f.name.toLowerCase() === want.toLowerCase())
          }
          const view = r.IndexedPageFolderView
          const offset = Number(view?.['@Offset'] ?? 0)
          const max = Math.min(Number(view?.['@MaxEntriesReturned'] ?? 1000), 3)
          const page = list.slice(offset, offset + max)
          const last = offset + page.length >= list.length
          return ok(
            'FindFolder',
            `<m:RootFolder IndexedPagingOffset="${offset + page.length}" TotalItemsInView="${list.length}" IncludesLastItemInRange="${last}"><t:Folders>${page.map(folderXml).join('')}</t:Folders></m:RootFolder>`,
          )
        })
        .join(''),
    CreateFolder: (r, acting) => {
      const got = folderOf(r.ParentFolderId, acting)
      if (typeof got === 'string') return bad('CreateFolder', got)
      const spec = r.Folders.Folder
      const [mb, parent] = got
      if ([...boxes.get(mb)!.folders.values()].some((f) => f.parentId === parent.id && f.name === spec.DisplayName))
        return bad('CreateFolder', 'ErrorFolderExists')
      const isHidden = arr(spec.ExtendedProperty).some(
        (p: Node) => p.ExtendedFieldURI?.['@PropertyTag'] === '0x10F4' && p.Value === 'true',
      )
      const f = addFolder(mb, { name: String(spec.DisplayName), parentId: parent.id, isHidden })
      return ok('CreateFolder', `<m:Folders>${folderXml(f)}</m:Folders>`)
    },
    FindItem: (r, acting) => {
      if (r['@Traversal'] !== 'Shallow' && r['@Traversal'] !== 'SoftDeleted')
        return bad('FindItem', 'ErrorInvalidRequest', `Traversal ${r['@Traversal']}`)
      return refsOf(r.ParentFolderIds)
        .map((ref) => {
          const got = folderOf(ref, acting)
          if (typeof got === 'string') return bad('FindItem', got)
          const [mb, folder] = got
          const items =
            r['@Traversal'] === 'SoftDeleted' && r.Restriction
              ? []
              : [...boxes.get(mb)!.items.values()]
                  .filter((i) => i.folderId === folder.id && (!r.Restriction || test(i, r.Restriction)))
                  .sort((a, b) => b.received.localeCompare(a.received)) // Exchange's default: newest first
          // IndexedPageItemView: at most MaxEntriesReturned from Offset, never more than `findItemPageSize`
          const view = r.IndexedPageItemView
          const offset = Number(view?.['@Offset'] ?? 0)
          const max = Math.min(Number(view?.['@MaxEntriesReturned'] ?? 1000), opts.findItemPageSize ?? 1000)
          const page = items.slice(offset, offset + max)
          const last = offset + page.length >= items.length
          return ok(
            'FindItem',
            `<m:RootFolder IndexedPagingOffset="${offset + page.length}" TotalItemsInView="${items.length}" IncludesLastItemInRange="${last}"><t:Items>${page.map((i) => itemXml(i)).join('')}</t:Items></m:RootFolder>`,
          )
        })
        .join('')
    },
    GetItem: (r, acting) =>
      arr(r.ItemIds.ItemId)
        .map((ref: Node) => {
          const mb = owner.get(ref['@Id'])
          const item = mb ? boxes.get(mb)!.items.get(ref['@Id']) : undefined
          if (!mb || !item) return bad('GetItem', 'ErrorItemNotFound')
          if (acting ? acting !== mb : !(opts.fullAccess ?? []).includes(mb)) return bad('GetItem', 'ErrorAccessDenied')
          return ok('GetItem', `<m:Items>${itemXml(item, true, r.ItemShape?.IncludeMimeContent === 'true')}</m:Items>`)
        })
        .join(''),
    MoveItem: (r, acting) => {
      const to = folderOf(r.ToFolderId, acting)
      return arr(r.ItemIds.ItemId)
        .map((ref: Node) => {
          if (typeof to === 'string') return bad('MoveItem', to)
          const mb = owner.get(ref['@Id'])
          const item = mb ? boxes.get(mb)!.items.get(ref['@Id']) : undefined
          if (!mb || !item || mb !== to[0])
            return bad('MoveItem', 'ErrorItemNotFound', 'The specified object was not found in the store.')
          const box = boxes.get(mb)!
          box.items.delete(item.id)
          owner.delete(item.id)
          const moved = { ...item, id: newId('I'), folderId: to[1].id }
          box.items.set(moved.id, moved)
          owner.set(moved.id, mb)
          return ok('MoveItem', `<m:Items><t:Message><t:ItemId Id="${moved.id}" ChangeKey="CQ"/></t:Message></m:Items>`)
        })
        .join('')
    },
    UpdateItem: (r, acting) =>
      arr(r.ItemChanges.ItemChange)
        .map((c: Node) => {
          const mb = owner.get(c.ItemId['@Id'])
          const item = mb ? boxes.get(mb)!.items.get(c.ItemId['@Id']) : undefined
          if (!mb || !item || (acting && acting !== mb)) return bad('UpdateItem', 'ErrorItemNotFound')
          const set = arr(c.Updates.SetItemField).find((u: Node) => u.FieldURI?.['@FieldURI'] === 'message:IsRead')
          if (set) item.isRead = set.Message.IsRead === 'true'
          return ok(
            'UpdateItem',
            `<m:Items><t:Message><t:ItemId Id="${item.id}" ChangeKey="CR"/></t:Message></m:Items>`,
          )
        })
        .join(''),
    ExpandDL: (r) => {
      const address = String(r.Mailbox.EmailAddress).toLowerCase()
      const members = opts.lists?.[address]
      if (!members) return bad('ExpandDL', 'ErrorNameResolutionNoResults', 'No results were found.')
      const xml = members.map(
        (m) =>
          `<t:Mailbox><t:Name>${esc(m)}</t:Name><t:EmailAddress>${esc(m)}</t:EmailAddress><t:RoutingType>SMTP</t:RoutingType><t:MailboxType>${opts.lists?.[m] ? 'PublicDL' : 'Mailbox'}</t:MailboxType></t:Mailbox>`,
      )
      return ok(
        'ExpandDL',
        `<m:DLExpansion TotalItemsInView="${members.length}" IncludesLastItemInRange="true">${xml.join('')}</m:DLExpansion>`,
      )
    },
  }

  const handle = async (req: IncomingMessage, res: ServerResponse, arrivedAt: number) => {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const auth = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString()
    if (auth !== `${opts.username}:${opts.password}`)
      return res.writeHead(401, { 'www-authenticate': 'Basic realm="mail"' }).end()
    const doc = parser.parse(Buffer.concat(chunks).toString('utf8'))
    const body = doc.Envelope?.Body ?? {}
    const op = Object.keys(body)[0] ?? ''
    calls.push(op)
    if (Date.now() < backOffUntil) {
      // only a request sent after the client could have read the back-off is a violation
      if (arrivedAt > busyAnsweredAt + 5)
        violations.push(`${op} sent ${backOffUntil - arrivedAt} ms before the back-off ended`)
      return fault(
        res,
        'ErrorServerBusy',
        'The server cannot service this request right now. Try again later.',
        backOffUntil - Date.now(),
      )
    }
    if (busy.count > 0) {
      busy.count--
      backOffUntil = Date.now() + busy.ms
      busyAnsweredAt = Date.now()
      return fault(
        res,
        'ErrorServerBusy',
        'The server cannot service this request right now. Try again later.',
        busy.ms,
      )
    }
    if (fail5xx > 0) {
      fail5xx--
      return res.writeHead(503, { 'content-type': 'text/html' }).end('<html><body>Service Unavailable</body></html>')
    }
    const sid = doc.Envelope?.Header?.ExchangeImpersonation?.ConnectingSID
    const acting = sid ? String(sid.PrimarySmtpAddress ?? sid.SmtpAddress).toLowerCase() : null
    if (acting && !boxes.has(acting))
      return fault(res, 'ErrorNonExistentMailbox', `The SMTP address has no mailbox associated with it.`)
    if (acting && !(opts.impersonates ?? []).includes(acting))
      return fault(
        res,
        'ErrorImpersonateUserDenied',
        'The account does not have permission to impersonate the requested user.',
      )
    const run = operations[op]
    if (!run) return fault(res, 'ErrorInvalidRequest', `${op} is not modelled`)
    const answer = run(body[op], acting)
    res
      .writeHead(200, { 'content-type': 'text/xml; charset=utf-8' })
      .end(envelope(`<m:${op}Response><m:ResponseMessages>${answer}</m:ResponseMessages></m:${op}Response>`))
  }

  const server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    if (++inFlight > (opts.maxConcurrency ?? 27)) {
      violations.push(`${inFlight} requests in flight`)
      inFlight--
      return fault(res, 'ErrorServerBusy', 'Too many concurrent connections', 1000)
    }
    const done = () => inFlight--
    const arrivedAt = Date.now()
    new Promise((r) => setTimeout(r, opts.latencyMs ?? 0))
      .then(() => handle(req, res, arrivedAt))
      .catch((err: Error) => fault(res, 'ErrorInternalServerError', err.message))
      .finally(done)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))

  const box = (mailbox: string) => {
    const b = boxes.get(mailbox.toLowerCase())
    if (!b) throw new Error(`peer: no mailbox ${mailbox}`)
    return b
  }
  const folderNamed = (mailbox: string, name: string) => {
    const f = [...box(mailbox).folders.values()].find((x) => x.distinguished === name || x.name === name)
    if (!f) throw new Error(`peer: no folder ${name}`)
    return f
  }
  return {
    ca: tls.cert,
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/EWS/Exchange.asmx`,
    violations,
    calls,
    /** Puts a message into a folder (distinguished id or a user folder's name, created under msgfolderroot when new); answers its ItemId. */
    deliver(
      mailbox: string,
      m: {
        messageId?: string
        from: string
        to?: string[]
        cc?: string[]
        subject: string
        folder?: string
        isRead?: boolean
        date?: Date
        references?: string
        mime?: string
      },
    ) {
      const mb = mailbox.toLowerCase()
      let folder = [...box(mb).folders.values()].find(
        (x) => x.distinguished === (m.folder ?? 'inbox') || x.name === m.folder,
      )
      folder ??= addFolder(mb, { name: m.folder!, parentId: folderNamed(mb, 'msgfolderroot').id, isHidden: false })
      const at = (m.date ?? new Date()).toISOString().replace(/\.\d+Z$/, 'Z')
      const item: Item = {
        id: newId('I'),
        folderId: folder.id,
        subject: m.subject,
        from: m.from,
        to: m.to ?? [mb],
        cc: m.cc ?? [],
        internetMessageId: m.messageId ?? null,
        isRead: m.isRead ?? false,
        received: at,
        sent: at,
        references: m.references ?? '',
        mime: m.mime,
      }
      box(mb).items.set(item.id, item)
      owner.set(item.id, mb)
      return item.id
    },
    /** Where a message is now (by Message-ID): its folder's name, hidden flag, read state, id. */
    find(mailbox: string, messageId: string) {
      const b = box(mailbox)
      return [...b.items.values()]
        .filter((i) => i.internetMessageId === messageId)
        .map((i) => {
          const f = b.folders.get(i.folderId)!
          return {
            id: i.id,
            folder: f.distinguished ?? f.name,
            isHidden: f.isHidden,
            isRead: i.isRead,
            parentIsRoot: b.folders.get(f.parentId!)?.distinguished === 'msgfolderroot',
          }
        })
    },
    injectBusy(count: number, backOffMs: number) {
      busy = { count, ms: backOffMs }
    },
    inject5xx(count: number) {
      fail5xx = count
    },
    setImpersonates(list: string[]) {
      opts.impersonates = list
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  }
}
