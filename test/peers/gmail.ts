import { createPublicKey, randomBytes, verify } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { selfSignedLoopbackCert } from './tls-cert.ts'

/**
 * Google's OAuth token endpoint, the Gmail API v1 and the Admin SDK Directory API (group members)
 * on loopback HTTPS, with real mailbox state:
 *  - POST /token: the JWT-bearer grant of a service account with domain-wide delegation
 *    (https://developers.google.com/identity/protocols/oauth2/service-account): RS256 signature
 *    checked with the account's public key, `aud` = https://oauth2.googleapis.com/token, `sub` a
 *    known user (else 400 invalid_grant "Invalid email or User ID"), every scope delegated (else
 *    401 unauthorized_client). Access tokens live `tokenTtlS`; `expireTokens()` revokes them all.
 *  - /gmail/v1/users/{me}/…: profile, labels (list, create), messages (list with `q` over
 *    rfc822msgid/from/subject/after/before/in:sent, includeSpamTrash, paging; labelIds filter; get format=metadata/raw;
 *    modify). Ids never change. Each user has the per-user quota (units per window, Google's costs:
 *    list/get/modify 5, labels.list and profile 1): a call beyond it is answered 429
 *    rateLimitExceeded and recorded in `violations`.
 *  - /admin/directory/v1/groups/{key}/members with includeDerivedMembership (nested groups
 *    flattened), only for a token of the admin, paging by `maxResults`.
 *  - `inject(status, count, path)`: the next `count` API calls matching `path` answered `status`
 *    (5xx, or 429 without a quota violation; 401: every access token is revoked first, as when an
 *    admin resets the service account) — injected failures are not violations.
 */
const TOKEN_AUD = 'https://oauth2.googleapis.com/token'
const SYSTEM = ['INBOX', 'SPAM', 'TRASH', 'UNREAD', 'STARRED', 'IMPORTANT', 'SENT', 'DRAFT', 'CATEGORY_PERSONAL']
export const GMAIL_SCOPE = 'https://www.googleapis.com/auth/gmail.modify'
export const GROUPS_SCOPE = 'https://www.googleapis.com/auth/admin.directory.group.member.readonly'

export type PeerLabel = {
  id: string
  name: string
  type: 'system' | 'user'
  labelListVisibility?: string
  messageListVisibility?: string
}
export type PeerMessage = {
  id: string
  threadId: string
  labelIds: string[]
  internalDate: number
  headers: { name: string; value: string }[]
  /** the RFC 822 text format=raw answers (made up from the headers when not given) */
  raw?: string
}

export const startGmailPeer = async (opts: {
  clientEmail: string
  publicKeyPem: string
  users: string[]
  admin: string
  delegatedScopes?: string[]
  groups?: Record<string, string[]>
  userQuotaUnits?: number
  quotaWindowMs?: number
  tokenTtlS?: number
  pageSize?: number
}) => {
  const tls = selfSignedLoopbackCert()
  const publicKey = createPublicKey(opts.publicKeyPem)
  let delegated = new Set(opts.delegatedScopes ?? [GMAIL_SCOPE, GROUPS_SCOPE])
  const quota = opts.userQuotaUnits ?? 15_000
  const windowMs = opts.quotaWindowMs ?? 60_000
  const mailboxes = new Map<string, { labels: PeerLabel[]; messages: Map<string, PeerMessage> }>()
  for (const u of opts.users)
    mailboxes.set(u.toLowerCase(), {
      labels: SYSTEM.map((id) => ({ id, name: id, type: 'system' })),
      messages: new Map(),
    })
  const tokens = new Map<string, { sub: string; scopes: string[]; expiresAt: number }>()
  const spent = new Map<string, { at: number; units: number }[]>()
  const injected: { status: number; count: number; path: RegExp }[] = []
  const violations: string[] = []
  const calls: string[] = []
  let nextId = 0x18c0000000000000n

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers }).end(JSON.stringify(body))
  const apiError = (res: ServerResponse, code: number, message: string, reason: string, status: string) =>
    send(res, code, { error: { code, message, errors: [{ message, domain: 'global', reason }], status } })

  const readBody = async (req: IncomingMessage) => {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    return Buffer.concat(chunks).toString('utf8')
  }

  const token = async (req: IncomingMessage, res: ServerResponse) => {
    const form = new URLSearchParams(await readBody(req))
    const bad = (status: number, error: string, desc: string) => send(res, status, { error, error_description: desc })
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer')
      return bad(400, 'unsupported_grant_type', 'Invalid grant_type')
    const [h, p, s] = (form.get('assertion') ?? '').split('.')
    if (!h || !p || !s) return bad(400, 'invalid_request', 'Invalid JWT')
    const isSigned = verify('RSA-SHA256', Buffer.from(`${h}.${p}`), publicKey, Buffer.from(s, 'base64url'))
    if (!isSigned) return bad(400, 'invalid_grant', 'Invalid JWT Signature.')
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>
    if (claims.iss !== opts.clientEmail) return bad(401, 'invalid_client', 'The OAuth client was not found.')
    if (claims.aud !== TOKEN_AUD)
      return bad(400, 'invalid_grant', 'Invalid JWT: Token must be a short-lived token and in a reasonable timeframe')
    if (typeof claims.exp !== 'number' || claims.exp * 1000 < Date.now())
      return bad(400, 'invalid_grant', 'Invalid JWT: expired')
    const scopes = String(claims.scope ?? '')
      .split(' ')
      .filter(Boolean)
    if (scopes.length === 0 || scopes.some((sc) => !delegated.has(sc)))
      return bad(
        401,
        'unauthorized_client',
        'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.',
      )
    const sub = String(claims.sub ?? '').toLowerCase()
    if (!mailboxes.has(sub)) return bad(400, 'invalid_grant', 'Invalid email or User ID')
    const access = `ya29.${randomBytes(24).toString('base64url')}`
    const ttl = opts.tokenTtlS ?? 3599
    tokens.set(access, { sub, scopes, expiresAt: Date.now() + ttl * 1000 })
    send(res, 200, { access_token: access, expires_in: ttl, token_type: 'Bearer' })
  }

  /** Spends a user's units; false (and a violation) when the window has no room. */
  const spend = (user: string, units: number, what: string) => {
    const now = Date.now()
    const entries = (spent.get(user) ?? []).filter((e) => e.at > now - windowMs)
    const used = entries.reduce((sum, e) => sum + e.units, 0)
    spent.set(user, entries)
    if (used + units > quota) {
      violations.push(`${user}: ${what} with ${used} of ${quota} units spent in the window`)
      return false
    }
    entries.push({ at: now, units })
    return true
  }

  const header = (m: PeerMessage, name: string) =>
    m.headers.find((x) => x.name.toLowerCase() === name.toLowerCase())?.value ?? ''
  const matches = (m: PeerMessage, q: string, includeSpamTrash: boolean) => {
    if (!includeSpamTrash && m.labelIds.some((l) => l === 'SPAM' || l === 'TRASH')) return false
    for (const [, key, quoted, word] of q.matchAll(/(\w+):(?:"([^"]*)"|(\S+))/g)) {
      const v = (quoted ?? word ?? '').toLowerCase()
      if (key === 'rfc822msgid' && header(m, 'Message-ID').toLowerCase().replace(/^<|>$/g, '') !== v) return false
      if (key === 'from' && !header(m, 'From').toLowerCase().includes(v)) return false
      if (
        key === 'subject' &&
        !header(m, 'Subject').toLowerCase().replace(/\s+/g, ' ').includes(v.replace(/\s+/g, ' ').trim())
      )
        return false
      if (key === 'after' && m.internalDate < Number(v) * 1000) return false
      if (key === 'before' && m.internalDate >= Number(v) * 1000) return false
      if (key === 'in' && v === 'sent' && !m.labelIds.includes('SENT')) return false
    }
    return true
  }
  const view = (m: PeerMessage, format: string | null, wanted: string[]) => ({
    id: m.id,
    threadId: m.threadId,
    labelIds: [...m.labelIds],
    snippet: '',
    internalDate: String(m.internalDate),
    ...(format === 'minimal'
      ? {}
      : format === 'raw'
        ? {
            raw: Buffer.from(
              m.raw ?? `${m.headers.map((h) => `${h.name}: ${h.value}`).join('\r\n')}\r\n\r\nbody\r\n`,
              'latin1',
            ).toString('base64url'),
          }
        : {
            payload: {
              headers: m.headers.filter(
                (x) => wanted.length === 0 || wanted.some((w) => w.toLowerCase() === x.name.toLowerCase()),
              ),
            },
          }),
  })

  const api = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const revoke = injected.find((i) => i.count > 0 && i.status === 401 && i.path.test(url.pathname))
    if (revoke) {
      revoke.count--
      tokens.clear()
    }
    const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]
    const t = auth ? tokens.get(auth) : undefined
    if (!t || t.expiresAt < Date.now())
      return apiError(
        res,
        401,
        'Request had invalid authentication credentials. Expected OAuth 2 access token.',
        'authError',
        'UNAUTHENTICATED',
      )
    const inj = injected.find((i) => i.count > 0 && i.status !== 401 && i.path.test(url.pathname))
    if (inj) {
      inj.count--
      return inj.status === 429
        ? apiError(res, 429, 'Too many concurrent requests for user.', 'rateLimitExceeded', 'RESOURCE_EXHAUSTED')
        : apiError(res, inj.status, 'Backend Error', 'backendError', 'UNAVAILABLE')
    }
    const dir = /^\/admin\/directory\/v1\/groups\/([^/]+)\/members$/.exec(url.pathname)
    if (dir) {
      if (!t.scopes.includes(GROUPS_SCOPE) || t.sub !== opts.admin.toLowerCase())
        return apiError(res, 403, 'Not Authorized to access this resource/api', 'forbidden', 'PERMISSION_DENIED')
      const key = decodeURIComponent(dir[1]!).toLowerCase()
      if (!opts.groups?.[key]) return apiError(res, 404, 'Resource Not Found: groupKey', 'notFound', 'NOT_FOUND')
      const derived = url.searchParams.get('includeDerivedMembership') === 'true'
      const out: { email: string; type: string; role: string; status: string }[] = []
      const seen = new Set<string>()
      const walk = (g: string) => {
        for (const m of opts.groups![g] ?? []) {
          if (seen.has(m)) continue
          seen.add(m)
          const isGroup = Boolean(opts.groups![m])
          out.push({ email: m, type: isGroup ? 'GROUP' : 'USER', role: 'MEMBER', status: 'ACTIVE' })
          if (isGroup && derived) walk(m)
        }
      }
      walk(key)
      return page(res, url, out, 'members')
    }
    const m = /^\/gmail\/v1\/users\/([^/]+)\/(profile|labels|messages)(?:\/([^/]+))?(?:\/(modify))?$/.exec(url.pathname)
    if (!m) return apiError(res, 404, 'Not Found', 'notFound', 'NOT_FOUND')
    if (!t.scopes.includes(GMAIL_SCOPE))
      return apiError(
        res,
        403,
        'Request had insufficient authentication scopes.',
        'insufficientPermissions',
        'PERMISSION_DENIED',
      )
    const userId = decodeURIComponent(m[1]!).toLowerCase()
    if (userId !== 'me' && userId !== t.sub)
      return apiError(res, 403, 'Delegation denied', 'forbidden', 'PERMISSION_DENIED')
    const box = mailboxes.get(t.sub)!
    const [kind, id, action] = [m[2]!, m[3], m[4]]
    const units = kind === 'profile' || (kind === 'labels' && req.method === 'GET') ? 1 : 5
    if (!spend(t.sub, units, `${req.method} ${kind}`))
      return apiError(res, 429, 'User-rate limit exceeded.', 'rateLimitExceeded', 'RESOURCE_EXHAUSTED')
    if (kind === 'profile')
      return send(res, 200, {
        emailAddress: t.sub,
        messagesTotal: box.messages.size,
        threadsTotal: box.messages.size,
        historyId: '1',
      })
    if (kind === 'labels' && req.method === 'GET') return send(res, 200, { labels: box.labels })
    if (kind === 'labels' && req.method === 'POST') {
      const body = JSON.parse(await readBody(req)) as Partial<PeerLabel>
      if (!body.name || box.labels.some((l) => l.name.toLowerCase() === body.name!.toLowerCase()))
        return apiError(res, 409, 'Label name exists or conflicts', 'duplicate', 'ALREADY_EXISTS')
      const label: PeerLabel = {
        id: `Label_${box.labels.length}`,
        name: body.name,
        type: 'user',
        labelListVisibility: body.labelListVisibility,
        messageListVisibility: body.messageListVisibility,
      }
      box.labels.push(label)
      return send(res, 200, label)
    }
    if (kind === 'messages' && !id) {
      const q = url.searchParams.get('q') ?? ''
      const labelIds = url.searchParams.getAll('labelIds')
      const all = [...box.messages.values()]
        .filter((x) => matches(x, q, url.searchParams.get('includeSpamTrash') === 'true'))
        .filter((x) => labelIds.every((l) => x.labelIds.includes(l)))
        .sort((a, b) => b.internalDate - a.internalDate)
        .map((x) => ({ id: x.id, threadId: x.threadId }))
      return page(res, url, all, 'messages', { resultSizeEstimate: all.length })
    }
    const msg = id ? box.messages.get(id) : undefined
    if (!msg) return apiError(res, 404, 'Requested entity was not found.', 'notFound', 'NOT_FOUND')
    if (!action && req.method === 'GET')
      return send(res, 200, view(msg, url.searchParams.get('format'), url.searchParams.getAll('metadataHeaders')))
    if (action === 'modify' && req.method === 'POST') {
      const body = JSON.parse(await readBody(req)) as { addLabelIds?: string[]; removeLabelIds?: string[] }
      for (const l of [...(body.addLabelIds ?? []), ...(body.removeLabelIds ?? [])])
        if (!box.labels.some((x) => x.id === l))
          return apiError(res, 400, `Invalid label: ${l}`, 'invalidArgument', 'INVALID_ARGUMENT')
      msg.labelIds = [
        ...new Set([
          ...msg.labelIds.filter((l) => !(body.removeLabelIds ?? []).includes(l)),
          ...(body.addLabelIds ?? []),
        ]),
      ]
      return send(res, 200, { id: msg.id, threadId: msg.threadId, labelIds: msg.labelIds })
    }
    return apiError(res, 400, 'Invalid request', 'invalidArgument', 'INVALID_ARGUMENT')
  }

  const page = <T>(res: ServerResponse, url: URL, all: T[], key: string, extra: object = {}) => {
    const size = Math.min(Number(url.searchParams.get('maxResults') ?? 100), opts.pageSize ?? 100)
    const start = Number(url.searchParams.get('pageToken') ?? 0)
    const next = start + size < all.length ? String(start + size) : undefined
    send(res, 200, { [key]: all.slice(start, start + size), ...(next ? { nextPageToken: next } : {}), ...extra })
  }

  const server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://peer')
    calls.push(`${req.method} ${url.pathname}`)
    const handle = url.pathname === '/token' && req.method === 'POST' ? token(req, res) : api(req, res, url)
    handle.catch((err: Error) => apiError(res, 500, err.message, 'backendError', 'INTERNAL'))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`

  const mailbox = (user: string) => {
    const box = mailboxes.get(user.toLowerCase())
    if (!box) throw new Error(`peer: no mailbox ${user}`)
    return box
  }
  return {
    ca: tls.cert,
    rootUrl: `${origin}/`,
    tokenUrl: `${origin}/token`,
    violations,
    calls,
    /** Puts a message into a mailbox; `labels` by id or user-label name (created when new). Answers its id. */
    deliver(
      user: string,
      m: {
        messageId?: string
        from: string
        to: string
        subject: string
        date?: Date
        labels?: string[]
        references?: string
        cc?: string
        raw?: string
      },
    ) {
      const box = mailbox(user)
      const labelIds = (m.labels ?? ['INBOX', 'UNREAD']).map((l) => {
        const found = box.labels.find((x) => x.id === l || x.name === l)
        if (found) return found.id
        const label: PeerLabel = { id: `Label_${box.labels.length}`, name: l, type: 'user' }
        box.labels.push(label)
        return label.id
      })
      const id = (nextId++).toString(16)
      const headers = [
        { name: 'From', value: m.from },
        { name: 'To', value: m.to },
        { name: 'Subject', value: m.subject },
        ...(m.messageId ? [{ name: 'Message-ID', value: m.messageId }] : []),
        ...(m.references
          ? [
              { name: 'References', value: m.references },
              { name: 'In-Reply-To', value: m.references },
            ]
          : []),
        ...(m.cc ? [{ name: 'Cc', value: m.cc }] : []),
      ]
      box.messages.set(id, {
        id,
        threadId: id,
        labelIds,
        internalDate: (m.date ?? new Date()).getTime(),
        headers,
        raw: m.raw,
      })
      return id
    },
    message: (user: string, id: string) => mailbox(user).messages.get(id),
    messages: (user: string) => [...mailbox(user).messages.values()],
    labels: (user: string) => mailbox(user).labels,
    inject(status: number, count: number, path: RegExp = /./) {
      injected.push({ status, count, path })
    },
    expireTokens: () => tokens.clear(),
    setDelegatedScopes: (scopes: string[]) => {
      delegated = new Set(scopes)
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  }
}
