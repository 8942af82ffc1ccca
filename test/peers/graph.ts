import { randomBytes, randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { GraphMailboxes, type Reply } from './graph-mailboxes.ts'
import { selfSignedCert } from './self-signed.ts'

/**
 * Microsoft Graph v1.0 and its Entra token endpoint on one loopback HTTPS port (self-signed
 * certificate made at start; clients trust it through the HTTP client's `ca`). Models
 * PROTOCOLS.md: client-credentials tokens (openid-configuration of the fake authority, token
 * revocation), `$batch` (≤ 20 members, relative unversioned member URLs, per-member answers,
 * at most 4 members of one mailbox at a time), per-mailbox limits (4 concurrent requests,
 * 10,000 requests / 10 min) answered 429 + Retry-After, and failures injected on demand. Every
 * limit the client exceeds is RECORDED in `violations`, so tests assert there are none.
 * Mailbox state (folders, messages, ids, read flags, groups) is in graph-mailboxes.ts.
 */
export const startGraphPeer = async (
  opts: { tenantId?: string; clientId?: string; clientSecret?: string; latencyMs?: number } = {},
) => {
  const tenantId = opts.tenantId ?? 'contoso-tenant'
  const clientId = opts.clientId ?? '11111111-2222-3333-4444-555555555555'
  const clientSecret = opts.clientSecret ?? 'peer-secret'
  const tls = selfSignedCert()
  const tokens = new Set<string>()
  const violations: string[] = []
  const stats = {
    tokenRequests: 0,
    batches: 0,
    members: 0,
    direct: 0,
    maxConcurrent: 0,
    deltaRequests: 0,
    deltaInitial: 0,
    deltaListed: 0,
  }
  /** failures on demand; rates are fractions of members (or of $batch requests) */
  const inject = {
    memberFailureRate: 0,
    batchFailureRate: 0,
    /** answer the next n $batch requests 503 / by dropping the connection */
    failNextBatches: 0,
    resetNextBatches: 0,
    /** mailbox (lowercase) → number of its next requests answered 429 */
    throttle: new Map<string, number>(),
    retryAfterSeconds: 1,
  }
  let base = ''
  const state = new GraphMailboxes(() => base, violations, stats, opts.latencyMs ?? 2)

  const json = (res: ServerResponse, r: Reply) =>
    r.mime !== undefined
      ? res.writeHead(r.status, { 'content-type': 'text/plain', ...r.headers }).end(Buffer.from(r.mime, 'latin1'))
      : res
          .writeHead(r.status, { 'content-type': 'application/json', ...r.headers })
          .end(r.body === undefined ? undefined : JSON.stringify(r.body))
  const readBody = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let s = ''
      req.setEncoding('utf8')
      req.on('data', (d) => (s += d))
      req.on('end', () => resolve(s))
    })

  const openid = (t: string) => ({
    token_endpoint: `${base}/${t}/oauth2/v2.0/token`,
    issuer: `${base}/${t}/v2.0`,
    authorization_endpoint: `${base}/${t}/oauth2/v2.0/authorize`,
    jwks_uri: `${base}/${t}/discovery/v2.0/keys`,
    response_types_supported: ['code', 'id_token', 'token'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    scopes_supported: ['openid'],
  })

  /** Injected failure for one member, if the dice say so (429 with Retry-After, 503, 504). */
  const injected = (mailbox: string | null): Reply | undefined => {
    const left = mailbox ? inject.throttle.get(mailbox) : undefined
    if (mailbox && left) {
      inject.throttle.set(mailbox, left - 1)
      return throttled()
    }
    if (inject.memberFailureRate > 0 && Math.random() < inject.memberFailureRate) {
      const r = Math.random()
      if (r < 0.5) return throttled()
      return { status: r < 0.75 ? 503 : 504, body: { error: { code: 'ServiceUnavailable', message: 'injected' } } }
    }
    return undefined
  }
  const throttled = (): Reply => ({
    status: 429,
    headers: { 'Retry-After': String(inject.retryAfterSeconds) },
    body: { error: { code: 'ApplicationThrottled', message: 'Application is over its MailboxConcurrency limit.' } },
  })

  const server = createServer(tls, async (req, res) => {
    const url = new URL(req.url ?? '/', base)
    const body = await readBody(req)
    // The fake authority (MSAL with disableInstanceDiscovery reads the openid-configuration first).
    const oid = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(url.pathname)
    if (req.method === 'GET' && oid) return json(res, { status: 200, body: openid(oid[1]!) })
    const tok = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(url.pathname)
    if (req.method === 'POST' && tok) {
      stats.tokenRequests++
      const form = new URLSearchParams(body)
      if (tok[1] !== tenantId)
        return json(res, {
          status: 400,
          body: { error: 'invalid_request', error_description: 'AADSTS90002: Tenant not found.' },
        })
      if (form.get('client_id') !== clientId || form.get('client_secret') !== clientSecret)
        return json(res, {
          status: 401,
          body: { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' },
        })
      const token = randomBytes(24).toString('base64url')
      tokens.add(token)
      return json(res, {
        status: 200,
        body: { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: token },
      })
    }
    if (!url.pathname.startsWith('/v1.0/')) return json(res, { status: 404, body: { error: { code: 'BadRequest' } } })
    const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')
    if (!auth || !tokens.has(auth[1]!))
      return json(res, {
        status: 401,
        body: {
          error: { code: 'InvalidAuthenticationToken', message: 'Access token has expired or is not yet valid.' },
        },
      })
    const immutable = /IdType="ImmutableId"/.test(String(req.headers.prefer ?? ''))
    const rel = `${url.pathname.slice('/v1.0'.length)}${url.search}`
    if (url.pathname === '/v1.0/$batch' && req.method === 'POST') {
      stats.batches++
      if (inject.resetNextBatches > 0 || (inject.batchFailureRate && Math.random() < inject.batchFailureRate / 2)) {
        inject.resetNextBatches = Math.max(0, inject.resetNextBatches - 1)
        return void req.socket.destroy()
      }
      if (inject.failNextBatches > 0 || (inject.batchFailureRate && Math.random() < inject.batchFailureRate / 2)) {
        inject.failNextBatches = Math.max(0, inject.failNextBatches - 1)
        return json(res, { status: 503, body: { error: { code: 'ServiceUnavailable', message: 'injected' } } })
      }
      let requests: { id: string; method: string; url: string; headers?: Record<string, string>; body?: unknown }[]
      try {
        requests = JSON.parse(body).requests
        if (!Array.isArray(requests)) throw new Error('no requests')
      } catch {
        return json(res, { status: 400, body: { error: { code: 'BadRequest', message: 'Invalid batch payload.' } } })
      }
      if (requests.length > 20) {
        violations.push(`$batch of ${requests.length} members (limit 20)`)
        return json(res, {
          status: 400,
          body: { error: { code: 'BadRequest', message: 'Batch exceeds 20 requests.' } },
        })
      }
      stats.members += requests.length
      const responses = await state.runBatch(requests, injected)
      return json(res, { status: 200, body: { responses } })
    }
    stats.direct++
    const direct = await state.handle(
      req.method ?? 'GET',
      rel,
      Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
      body ? JSON.parse(body) : undefined,
      immutable,
      injected,
    )
    json(res, direct)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    baseUrl: base,
    authorityHost: base,
    ca: tls.cert,
    tenantId,
    clientId,
    clientSecret,
    state,
    inject,
    violations,
    stats,
    /** a server-side revocation: every token issued so far answers 401 InvalidAuthenticationToken */
    expireTokens: () => tokens.clear(),
    newId: () => randomUUID(),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}
export type GraphPeer = Awaited<ReturnType<typeof startGraphPeer>>
