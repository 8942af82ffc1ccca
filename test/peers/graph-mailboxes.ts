import { randomBytes, randomUUID } from 'node:crypto'
import { matches, ODataError, page, parseFilter, type Row, select } from './graph-odata.ts'

/** One answer of the peer (a whole response, or a `$batch` member's). */
export type Reply = { status: number; headers?: Record<string, string>; body?: unknown; mime?: string }
type Folder = { id: string; displayName: string; wellKnown?: string; isHidden: boolean; parentFolderId: string | null }
export type PeerMessage = {
  immutableId: string
  restId: string
  folderId: string
  isRead: boolean
  internetMessageId: string
  subject: string
  from: string
  receivedDateTime: string
  sentDateTime: string
  toRecipients: string[]
  internetMessageHeaders?: { name: string; value: string }[]
  /** the RFC 822 text `$value` answers (made up from the fields when not given) */
  mime?: string
  /** when the message entered its current folder (the mailbox's change counter): delta queries */
  folderSeq: number
}
/** What delta queries cost: requests, full listings started (no token), messages listed (not `@removed`). */
export type DeltaStats = { deltaRequests: number; deltaInitial: number; deltaListed: number }
/** A message leaving a folder (moved or deleted), for delta queries. */
type Departure = { seq: number; folderId: string; immutableId: string; restId: string }
type User = {
  id: string
  mail: string
  folders: Map<string, Folder>
  messages: Map<string, PeerMessage>
  /** change counter of the mailbox and the departures it counted */
  seq: number
  departures: Departure[]
  concurrent: number
  windowStart: number
  windowCount: number
}

const WELL_KNOWN: [string, string][] = [
  ['inbox', 'Inbox'],
  ['drafts', 'Drafts'],
  ['sentitems', 'Sent Items'],
  ['deleteditems', 'Deleted Items'],
  ['junkemail', 'Junk Email'],
  ['archive', 'Archive'],
  ['outbox', 'Outbox'],
  ['conversationhistory', 'Conversation History'],
  ['scheduled', 'Scheduled'],
  ['searchfolders', 'Finder'],
  ['syncissues', 'Sync Issues'],
]
const MESSAGE_FILTER = new Set([
  'internetMessageId',
  'subject',
  'from/emailAddress/address',
  'receivedDateTime',
  'sentDateTime',
])
const err = (status: number, code: string, message = code): Reply => ({ status, body: { error: { code, message } } })
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
/** A message's MIME text made up from its fields (a message delivered without one). */
const mimeOf = (m: PeerMessage) =>
  [
    `From: ${m.from}`,
    `To: ${m.toRecipients.join(', ')}`,
    `Subject: ${m.subject}`,
    `Message-ID: ${m.internetMessageId}`,
    `Date: ${new Date(m.sentDateTime).toUTCString()}`,
    '',
    'body',
    '',
  ].join('\r\n')
const restId = () => `AAMkAD${randomBytes(18).toString('base64url')}`

/** Mailboxes, folders, messages and groups of the Graph peer, and the per-mailbox limits. */
export class GraphMailboxes {
  readonly users = new Map<string, User>()
  readonly groups = new Map<string, { id: string; mail: string; members: string[] }>()
  /** application permissions the app was NOT granted: their calls answer 403 */
  readonly denied = new Set<'Mail.ReadWrite' | 'User.Read.All' | 'GroupMember.Read.All'>()
  /** mailboxes (lowercase) whose Recoverable Items answer 403 (full-mailbox access only) */
  readonly recoverableDenied = new Set<string>()
  /**
   * mailboxes (lowercase) outside the app's Exchange Online scope (RBAC for Applications, or an
   * Application Access Policy): every mail call on them answers 403 ErrorAccessDenied, as with
   * Mail.ReadWrite not granted at all, while the other mailboxes answer
   */
  readonly outOfScope = new Set<string>()
  groupPageSize = 100
  /** delta tokens of an older generation answer 410 (Exchange dropped the sync state); bump to test */
  syncGeneration = 0
  #base: () => string
  #violations: string[]
  #stats: DeltaStats & { maxConcurrent: number }
  #latency: number

  constructor(
    base: () => string,
    violations: string[],
    stats: DeltaStats & { maxConcurrent: number },
    latencyMs: number,
  ) {
    this.#base = base
    this.#violations = violations
    this.#stats = stats
    this.#latency = latencyMs
  }

  addMailbox(mail: string) {
    const folders = new Map<string, Folder>()
    const root: Folder = {
      id: randomUUID(),
      displayName: 'Top of Information Store',
      wellKnown: 'msgfolderroot',
      isHidden: false,
      parentFolderId: null,
    }
    folders.set(root.id, root)
    for (const [wk, name] of WELL_KNOWN) {
      const f = {
        id: `F${randomBytes(12).toString('base64url')}`,
        displayName: name,
        wellKnown: wk,
        isHidden: false,
        parentFolderId: root.id,
      }
      folders.set(f.id, f)
    }
    const rec = {
      id: `F${randomBytes(12).toString('base64url')}`,
      displayName: 'Deletions',
      wellKnown: 'recoverableitemsdeletions',
      isHidden: false,
      parentFolderId: null,
    }
    folders.set(rec.id, rec)
    const u: User = {
      id: randomUUID(),
      mail,
      folders,
      messages: new Map(),
      seq: 0,
      departures: [],
      concurrent: 0,
      windowStart: Date.now(),
      windowCount: 0,
    }
    this.users.set(mail.toLowerCase(), u)
    return u
  }

  folder(u: User, idOrWellKnown: string) {
    const wk = idOrWellKnown.toLowerCase()
    for (const f of u.folders.values()) if (f.id === idOrWellKnown || f.wellKnown === wk) return f
    return undefined
  }

  /** Puts a message into a mailbox (default the Inbox) as mail flow would. */
  deliver(mail: string, m: Partial<Omit<PeerMessage, 'folderSeq'>> & { internetMessageId: string; folder?: string }) {
    const u = this.users.get(mail.toLowerCase()) ?? this.addMailbox(mail)
    const now = new Date().toISOString()
    const msg: PeerMessage = {
      immutableId: `AAkALgAAImm${randomBytes(18).toString('base64url')}`,
      restId: restId(),
      folderId: this.folder(u, m.folder ?? 'inbox')!.id,
      isRead: m.isRead ?? false,
      internetMessageId: m.internetMessageId,
      subject: m.subject ?? 'Invoice',
      from: m.from ?? 'attacker@evil.example',
      receivedDateTime: m.receivedDateTime ?? now,
      sentDateTime: m.sentDateTime ?? m.receivedDateTime ?? now,
      toRecipients: m.toRecipients ?? [mail],
      internetMessageHeaders: m.internetMessageHeaders,
      mime: m.mime,
      folderSeq: ++u.seq,
    }
    u.messages.set(msg.immutableId, msg)
    return msg
  }

  /** Where copies of a Message-ID are now, as a user (or an auditor) would see them. */
  locate(mail: string, internetMessageId: string) {
    const u = this.users.get(mail.toLowerCase())!
    return [...u.messages.values()]
      .filter((m) => m.internetMessageId === internetMessageId)
      .map((m) => {
        const f = u.folders.get(m.folderId)!
        return { folder: f.wellKnown ?? f.displayName, isHidden: f.isHidden, isRead: m.isRead, message: m }
      })
  }

  addGroup(mail: string, members: string[]) {
    const g = { id: randomUUID(), mail, members }
    this.groups.set(g.id, g)
    return g
  }

  #json(m: PeerMessage, immutable: boolean): Row {
    return {
      id: immutable ? m.immutableId : m.restId,
      parentFolderId: m.folderId,
      isRead: m.isRead,
      internetMessageId: m.internetMessageId,
      subject: m.subject,
      from: { emailAddress: { address: m.from } },
      receivedDateTime: m.receivedDateTime,
      sentDateTime: m.sentDateTime,
      toRecipients: m.toRecipients.map((address) => ({ emailAddress: { address } })),
      ccRecipients: [],
      ...(m.internetMessageHeaders ? { internetMessageHeaders: m.internetMessageHeaders } : {}),
    }
  }

  #message(u: User, id: string) {
    const byImmutable = u.messages.get(id)
    if (byImmutable) return byImmutable
    for (const m of u.messages.values()) if (m.restId === id) return m
    return undefined
  }

  /** The mailbox a URL loads (for the per-mailbox limits), or null. */
  static mailboxOf(path: string) {
    const m = /^\/users\/([^/?]+)\/(messages|mailFolders)/.exec(path)
    return m ? decodeURIComponent(m[1]!).toLowerCase() : null
  }

  #user(key: string) {
    const u = this.users.get(key)
    if (u) return u
    for (const x of this.users.values()) if (x.id === key) return x
    return undefined
  }

  /** Graph's `$batch`: members of one mailbox at most 4 at a time, mailboxes in parallel. */
  async runBatch(
    requests: { id: string; method: string; url: string; headers?: Record<string, string>; body?: unknown }[],
    injected: (mailbox: string | null) => Reply | undefined,
  ) {
    const queues = new Map<string, typeof requests>()
    for (const r of requests) {
      const k = GraphMailboxes.mailboxOf(r.url) ?? `~${r.id}`
      queues.set(k, [...(queues.get(k) ?? []), r])
    }
    const out: { id: string; status: number; headers: Record<string, string>; body?: unknown }[] = []
    await Promise.all(
      [...queues.values()].map(async (q) => {
        const work = async () => {
          for (let r = q.shift(); r; r = q.shift()) {
            const headers = Object.fromEntries(Object.entries(r.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]))
            let reply: Reply
            if (!r.url.startsWith('/') || /^\/(v1\.0|beta)\//.test(r.url)) {
              this.#violations.push(`$batch member URL ${r.url.slice(0, 40)} is not relative and unversioned`)
              reply = err(400, 'BadRequest', `Resource not found for the segment '${r.url.split('/')[1]}'.`)
            } else
              reply = await this.handle(
                r.method,
                r.url,
                headers,
                r.body,
                /IdType="ImmutableId"/.test(headers.prefer ?? ''),
                injected,
              )
            // a member whose body is not JSON (a message's $value) comes back base64-encoded
            out.push(
              reply.mime === undefined
                ? {
                    id: r.id,
                    status: reply.status,
                    headers: { 'content-type': 'application/json', ...reply.headers },
                    body: reply.body,
                  }
                : {
                    id: r.id,
                    status: reply.status,
                    headers: { 'content-type': 'text/plain', ...reply.headers },
                    body: Buffer.from(reply.mime, 'latin1').toString('base64'),
                  },
            )
          }
        }
        await Promise.all([work(), work(), work(), work()])
      }),
    )
    return out
  }

  /** One request (direct or a batch member). */
  async handle(
    method: string,
    rel: string,
    headers: Record<string, string>,
    body: unknown,
    immutable: boolean,
    injected: (mailbox: string | null) => Reply | undefined,
  ): Promise<Reply> {
    const url = new URL(rel, 'https://graph.invalid')
    const path = url.pathname
    const key = GraphMailboxes.mailboxOf(path)
    if (!key) {
      const inj = injected(null)
      if (inj) return inj
      await sleep(this.#latency)
      return this.#directory(method, path, url.searchParams, headers, rel)
    }
    const u = this.#user(key)
    if (!u) return err(404, 'ErrorInvalidUser', `The requested user '${key}' is invalid.`)
    if (Date.now() - u.windowStart > 600_000) [u.windowStart, u.windowCount] = [Date.now(), 0]
    if (++u.windowCount > 10_000) {
      this.#violations.push(`mailbox ${key}: more than 10,000 requests in 10 minutes`)
      return { ...err(429, 'ApplicationThrottled', 'MailboxRequestBudget'), headers: { 'Retry-After': '60' } }
    }
    u.concurrent++
    try {
      this.#stats.maxConcurrent = Math.max(this.#stats.maxConcurrent, u.concurrent)
      if (u.concurrent > 4) {
        this.#violations.push(`mailbox ${key}: ${u.concurrent} concurrent requests (limit 4)`)
        return { ...err(429, 'ApplicationThrottled', 'MailboxConcurrency'), headers: { 'Retry-After': '1' } }
      }
      const inj = injected(key)
      if (inj) return inj
      await sleep(this.#latency)
      if (this.denied.has('Mail.ReadWrite') || this.outOfScope.has(u.mail.toLowerCase()))
        return err(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.')
      return this.#mail(u, method, path.split('/').slice(3), url.searchParams, body, immutable, rel, headers)
    } catch (e) {
      if (e instanceof ODataError) return err(400, 'BadRequest', e.message)
      throw e
    } finally {
      u.concurrent--
    }
  }

  /**
   * `GET …/mailFolders/{id}/messages/delta` (https://learn.microsoft.com/graph/api/message-delta):
   * the first round lists the folder's messages, later rounds (the `@odata.deltaLink`'s
   * `$deltatoken`) what entered the folder since and, as `@removed`, what left it. Pages of
   * `Prefer: odata.maxpagesize` (default 10) chained by `@odata.nextLink` (`$skiptoken`); a token
   * the mailbox does not know answers 410 SyncStateNotFound (start over).
   */
  #delta(
    u: User,
    f: Folder,
    q: URLSearchParams,
    headers: Record<string, string>,
    immutable: boolean,
    rel: string,
  ): Reply {
    const pageSize = Math.min(Number(/odata\.maxpagesize=(\d+)/.exec(headers.prefer ?? '')?.[1] ?? 10) || 10, 1000)
    const token = q.get('$skiptoken') ?? q.get('$deltatoken')
    let state = { f: f.id, g: this.syncGeneration, since: 0, upto: u.seq, after: 0, initial: true }
    if (token) {
      try {
        const t = JSON.parse(Buffer.from(token, 'base64url').toString())
        if (t.f !== f.id || t.g !== this.syncGeneration || !Number.isInteger(t.since) || t.since > u.seq)
          throw new Error('foreign or expired token')
        state = q.has('$deltatoken') ? { ...state, since: t.since, after: t.since, initial: false } : t
      } catch {
        return err(410, 'SyncStateNotFound', 'The sync state generation is not found. Restart the synchronization.')
      }
    }
    const entries: { seq: number; row: Row }[] = []
    for (const m of u.messages.values())
      if (m.folderId === f.id && m.folderSeq > state.after && m.folderSeq <= state.upto)
        entries.push({ seq: m.folderSeq, row: this.#json(m, immutable) })
    for (const d of u.departures)
      if (d.folderId === f.id && d.seq > state.after && d.seq <= state.upto && !state.initial)
        entries.push({
          seq: d.seq,
          row: {
            '@odata.type': '#microsoft.graph.message',
            id: immutable ? d.immutableId : d.restId,
            '@removed': { reason: 'deleted' },
          },
        })
    entries.sort((a, b) => a.seq - b.seq)
    const taken = entries.slice(0, pageSize)
    this.#stats.deltaRequests++
    if (!token) this.#stats.deltaInitial++
    this.#stats.deltaListed += taken.filter((e) => !e.row['@removed']).length
    const base = `${this.#base()}/v1.0${rel.split('?')[0]}`
    const link = (k: string, v: object) => `${base}?${k}=${Buffer.from(JSON.stringify(v)).toString('base64url')}`
    const more = entries.length > pageSize
    return {
      status: 200,
      body: {
        value: taken.map((e) => select(e.row, q.get('$select'))),
        ...(more
          ? { '@odata.nextLink': link('$skiptoken', { ...state, after: taken.at(-1)!.seq }) }
          : { '@odata.deltaLink': link('$deltatoken', { f: f.id, g: state.g, since: state.upto }) }),
      },
    }
  }

  #mail(
    u: User,
    method: string,
    seg: string[],
    q: URLSearchParams,
    body: unknown,
    immutable: boolean,
    rel: string,
    headers: Record<string, string>,
  ): Reply {
    const self = `${this.#base()}/v1.0${rel}`
    const listMessages = (folder?: Folder) => {
      const filter = q.get('$filter')
      const clauses = filter ? parseFilter(filter) : []
      const rows = [...u.messages.values()]
        .filter((m) => {
          const f = u.folders.get(m.folderId)!
          return folder ? f.id === folder.id : f.wellKnown !== 'recoverableitemsdeletions'
        })
        .map((m) => this.#json(m, immutable))
        .filter((r) => matches(r, clauses, MESSAGE_FILTER))
      return { status: 200, body: page(rows, q, self, 10, 1000) }
    }
    const [a, b, c, d] = seg
    if (a === 'messages' && !b && method === 'GET') return listMessages()
    if (a === 'messages' && b) {
      const m = this.#message(u, decodeURIComponent(b))
      if (!m) return err(404, 'ErrorItemNotFound', 'The specified object was not found in the store.')
      if (c === 'move' && method === 'POST') {
        const dest = this.folder(u, String((body as { destinationId?: string })?.destinationId ?? ''))
        if (!dest) return err(400, 'ErrorInvalidIdMalformed', 'Id is malformed.')
        if (dest.id !== m.folderId) {
          u.departures.push({ seq: ++u.seq, folderId: m.folderId, immutableId: m.immutableId, restId: m.restId })
          ;[m.folderId, m.restId, m.folderSeq] = [dest.id, restId(), ++u.seq]
        }
        return { status: 201, body: this.#json(m, immutable) }
      }
      if (!c && method === 'PATCH') {
        const patch = body as { isRead?: unknown }
        if (typeof patch?.isRead === 'boolean') m.isRead = patch.isRead
        return { status: 200, body: this.#json(m, immutable) }
      }
      if (!c && method === 'GET') return { status: 200, body: select(this.#json(m, immutable), q.get('$select')) }
      if (c === '$value' && method === 'GET') return { status: 200, mime: m.mime ?? mimeOf(m) }
    }
    if (a === 'mailFolders' && !b && method === 'GET') {
      const root = this.folder(u, 'msgfolderroot')!
      const hidden = q.get('includeHiddenFolders') === 'true'
      const filter = q.get('$filter')
      const clauses = filter ? parseFilter(filter) : []
      const rows = [...u.folders.values()]
        .filter((f) => f.parentFolderId === root.id && (hidden || !f.isHidden))
        .map(
          (f) =>
            ({ id: f.id, displayName: f.displayName, isHidden: f.isHidden, parentFolderId: f.parentFolderId }) as Row,
        )
        .filter((r) => matches(r, clauses, new Set(['displayName'])))
      return { status: 200, body: page(rows, q, self, 10, 1000) }
    }
    if (a === 'mailFolders' && !b && method === 'POST') {
      const { displayName, isHidden } = (body ?? {}) as { displayName?: string; isHidden?: boolean }
      if (!displayName) return err(400, 'ErrorInvalidRequest', 'displayName is required')
      const root = this.folder(u, 'msgfolderroot')!
      for (const f of u.folders.values())
        if (f.parentFolderId === root.id && f.displayName.toLowerCase() === displayName.toLowerCase())
          return err(409, 'ErrorFolderExists', 'A folder with the specified name already exists.')
      const f: Folder = {
        id: `F${randomBytes(12).toString('base64url')}`,
        displayName,
        isHidden: isHidden === true,
        parentFolderId: root.id,
      }
      u.folders.set(f.id, f)
      return { status: 201, body: { id: f.id, displayName, isHidden: f.isHidden, parentFolderId: root.id } }
    }
    if (a === 'mailFolders' && b) {
      const f = this.folder(u, decodeURIComponent(b))
      if (f?.wellKnown === 'recoverableitemsdeletions' && this.recoverableDenied.has(u.mail.toLowerCase()))
        return err(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.')
      if (!f) return err(404, 'ErrorItemNotFound', 'The specified folder could not be found in the store.')
      if (c === 'messages' && !d && method === 'GET') return listMessages(f)
      if (c === 'messages' && d === 'delta' && method === 'GET') return this.#delta(u, f, q, headers, immutable, rel)
      if (!c && method === 'GET')
        return {
          status: 200,
          body: select(
            { id: f.id, displayName: f.displayName, isHidden: f.isHidden, parentFolderId: f.parentFolderId },
            q.get('$select'),
          ),
        }
    }
    return err(400, 'BadRequest', `Unsupported: ${method} ${rel.split('?')[0]}`)
  }

  #directory(method: string, path: string, q: URLSearchParams, headers: Record<string, string>, rel: string): Reply {
    const self = `${this.#base()}/v1.0${rel}`
    if (method === 'GET' && path === '/users') {
      if (this.denied.has('User.Read.All'))
        return err(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.')
      const rows = [...this.users.values()].map((u) => ({ id: u.id, mail: u.mail, userPrincipalName: u.mail }) as Row)
      return { status: 200, body: page(rows, q, self, 100, 999) }
    }
    if (method === 'GET' && path.startsWith('/groups')) {
      if (this.denied.has('GroupMember.Read.All'))
        return err(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.')
      if (path === '/groups') {
        const filter = q.get('$filter')
        const clauses = filter ? parseFilter(filter) : []
        const rows = [...this.groups.values()]
          .map((g) => ({ id: g.id, mail: g.mail }) as Row)
          .filter((r) => matches(r, clauses, new Set(['mail'])))
        return { status: 200, body: page(rows, q, self, 100, 999) }
      }
      const m = /^\/groups\/([^/]+)\/transitiveMembers\/microsoft\.graph\.user$/.exec(path)
      if (m) {
        const g = this.groups.get(decodeURIComponent(m[1]!))
        if (!g) return err(404, 'Request_ResourceNotFound', `Resource '${m[1]}' does not exist.`)
        if ((headers.consistencylevel ?? '').toLowerCase() !== 'eventual' || q.get('$count') !== 'true')
          return err(
            400,
            'Request_UnsupportedQuery',
            'The specified filter to the reference property query is currently not supported.',
          )
        const seen = new Set<string>()
        const users: Row[] = []
        const walk = (id: string) => {
          if (seen.has(id)) return
          seen.add(id)
          for (const member of this.groups.get(id)!.members) {
            const sub = [...this.groups.values()].find((x) => x.mail.toLowerCase() === member.toLowerCase())
            if (sub) walk(sub.id)
            else if (!seen.has(member.toLowerCase())) {
              seen.add(member.toLowerCase())
              const u = this.users.get(member.toLowerCase())
              users.push({ id: u?.id ?? randomUUID(), mail: member, userPrincipalName: member })
            }
          }
        }
        walk(g.id)
        return { status: 200, body: page(users, q, self, 100, this.groupPageSize) }
      }
    }
    return err(400, 'BadRequest', `Unsupported: ${method} ${path}`)
  }
}
