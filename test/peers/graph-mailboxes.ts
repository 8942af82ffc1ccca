import { randomBytes, randomUUID } from 'node:crypto'
import { matches, ODataError, page, parseFilter, type Row, select } from './graph-odata.ts'

/** One answer of the peer (a whole response, or a `$batch` member's). */
export type Reply = { status: number; headers?: Record<string, string>; body?: unknown }
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
}
type User = {
  id: string
  mail: string
  folders: Map<string, Folder>
  messages: Map<string, PeerMessage>
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
const restId = () => `AAMkAD${randomBytes(18).toString('base64url')}`

/** Mailboxes, folders, messages and groups of the Graph peer, and the per-mailbox limits. */
export class GraphMailboxes {
  readonly users = new Map<string, User>()
  readonly groups = new Map<string, { id: string; mail: string; members: string[] }>()
  /** application permissions the app was NOT granted: their calls answer 403 */
  readonly denied = new Set<'Mail.ReadWrite' | 'User.Read.All' | 'GroupMember.Read.All'>()
  /** mailboxes (lowercase) whose Recoverable Items answer 403 (full-mailbox access only) */
  readonly recoverableDenied = new Set<string>()
  groupPageSize = 100
  #base: () => string
  #violations: string[]
  #stats: { maxConcurrent: number }
  #latency: number

  constructor(base: () => string, violations: string[], stats: { maxConcurrent: number }, latencyMs: number) {
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
  deliver(mail: string, m: Partial<PeerMessage> & { internetMessageId: string; folder?: string }) {
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
            out.push({
              id: r.id,
              status: reply.status,
              headers: { 'content-type': 'application/json', ...reply.headers },
              body: reply.body,
            })
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
      if (this.denied.has('Mail.ReadWrite'))
        return err(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.')
      return this.#mail(u, method, path.split('/').slice(3), url.searchParams, body, immutable, rel)
    } catch (e) {
      if (e instanceof ODataError) return err(400, 'BadRequest', e.message)
      throw e
    } finally {
      u.concurrent--
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
        if (dest.id !== m.folderId) [m.folderId, m.restId] = [dest.id, restId()]
        return { status: 201, body: this.#json(m, immutable) }
      }
      if (!c && method === 'PATCH') {
        const patch = body as { isRead?: unknown }
        if (typeof patch?.isRead === 'boolean') m.isRead = patch.isRead
        return { status: 200, body: this.#json(m, immutable) }
      }
      if (!c && method === 'GET') return { status: 200, body: select(this.#json(m, immutable), q.get('$select')) }
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
