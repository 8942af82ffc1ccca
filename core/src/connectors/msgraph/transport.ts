import { ClientSecretCredential, type ClientSecretCredentialOptions } from '@azure/identity'
import {
  AuthenticationHandler,
  Client,
  type Context,
  GraphError,
  type Middleware,
} from '@microsoft/microsoft-graph-client'
import { ConnectorError } from '../errors.ts'
import { type HttpClient, retryAfterMs } from '../http.ts'
import type { CallContext } from '../types.ts'
import type { TGraphSettings } from './manifest.ts'

/**
 * Graph calls for the msgraph connector: every request is a member of a `$batch`
 * (https://learn.microsoft.com/graph/json-batching) sent through `@microsoft/microsoft-graph-client`,
 * whose last middleware hands the HTTP exchange to `ctx.http` (egress policy, proxy, timeouts, CA);
 * the token comes from `@azure/identity` ClientSecretCredential whose HTTP also goes through `ctx.http`.
 *
 * Limits (PROTOCOLS.md): ≤ 20 members a batch; ≤ 4 requests in flight per mailbox (a batch holding k
 * members of one mailbox reserves k of its 4 slots until it returns; shared by every call on this
 * instance), batches to different mailboxes in parallel; 429/5xx (whole batch or one member) are
 * waited out after Retry-After within a bounded budget, after which the member answers a
 * `rate_limited`/`unavailable` ConnectorError with retryAfterMs for the job layer.
 */

/** One request: `key` is the mailbox it loads (null: directory calls), `url` relative without the version. */
export type GraphOp = {
  key: string | null
  method: 'GET' | 'POST' | 'PATCH'
  url: string
  body?: unknown
  headers?: Record<string, string>
}
/** A member's answer (any status the caller must interpret: 2xx, 4xx). */
export type GraphAnswer = { status: number; body: GraphBody; headers: Record<string, string> }
// biome-ignore lint/suspicious/noExplicitAny: Graph's JSON answers, read field by field by the caller
export type GraphBody = any

export const IMMUTABLE = 'IdType="ImmutableId"'
export type GraphLimits = {
  batchSize: number
  perMailbox: number
  batchesInFlight: number
  retryBudgetMs: number
  maxAttempts: number
}
export const DEFAULT_LIMITS: GraphLimits = {
  batchSize: 20,
  perMailbox: 4,
  batchesInFlight: 8,
  retryBudgetMs: 20_000,
  maxAttempts: 6,
}

type Slot = { i: number; op: GraphOp; attempts: number; notBefore: number }
type AzureHttpClient = NonNullable<ClientSecretCredentialOptions['httpClient']>

/** @azure/core-rest-pipeline's HttpHeaders, over a plain record. */
const pipelineHeaders = (raw: Record<string, string>) => {
  const m = new Map(Object.entries(raw).map(([k, v]) => [k.toLowerCase(), v]))
  return {
    get: (n: string) => m.get(n.toLowerCase()),
    has: (n: string) => m.has(n.toLowerCase()),
    set: (n: string, v: string | number | boolean) => void m.set(n.toLowerCase(), String(v)),
    delete: (n: string) => void m.delete(n.toLowerCase()),
    toJSON: () => Object.fromEntries(m),
    [Symbol.iterator]: () => m.entries(),
  }
}

/** The credential's HTTP client: MSAL's token and metadata requests through `ctx.http`. */
const azureHttp = (http: HttpClient): AzureHttpClient => ({
  async sendRequest(req) {
    const res = await http.request(req.url, {
      method: req.method as 'GET' | 'POST',
      headers: req.headers.toJSON() as Record<string, string>,
      body: req.body === undefined || req.body === null ? undefined : String(req.body),
      signal: req.abortSignal as AbortSignal | undefined,
    })
    return { request: req, status: res.status, headers: pipelineHeaders(res.headers) as never, bodyAsText: res.text() }
  },
})

/** The graph client's last middleware: the exchange through `ctx.http`. */
const httpMiddleware = (ctx: CallContext): Middleware => ({
  async execute(context: Context) {
    const opts = context.options ?? {}
    const raw = opts.headers ?? {}
    const headers: Record<string, string> = {}
    if (raw instanceof Headers) for (const [k, v] of raw) headers[k] = v
    else Object.assign(headers, raw)
    const res = await ctx.http.request(String(context.request), {
      method: (opts.method ?? 'GET') as 'GET',
      headers,
      body: typeof opts.body === 'string' ? opts.body : undefined,
      signal: ctx.signal,
      timeoutMs: 60_000,
    })
    const empty = res.status === 204 || res.status === 205 || res.status === 304
    context.response = new Response(empty ? null : new Uint8Array(res.body), {
      status: res.status,
      headers: res.headers,
    })
  },
})

const isExpiredToken = (status: number, body: GraphBody) =>
  status === 401 && body?.error?.code === 'InvalidAuthenticationToken'

/** A session per connector instance: credentials, the per-mailbox slots, the batch scheduler. */
export class GraphTransport {
  readonly #settings: TGraphSettings
  readonly #secret: string
  readonly #limits: GraphLimits
  readonly #credentials = new WeakMap<HttpClient, ClientSecretCredential>()
  readonly #tokens = new WeakMap<HttpClient, { token: Promise<string>; expiresAt: number }>()
  readonly #inflight = new Map<string, number>()
  /** batches sent (for figures) */
  batches = 0

  constructor(settings: TGraphSettings, secret: string, limits: Partial<GraphLimits> = {}) {
    this.#settings = settings
    this.#secret = secret
    this.#limits = { ...DEFAULT_LIMITS, ...limits }
  }

  #credential(http: HttpClient, renew = false) {
    let c = this.#credentials.get(http)
    if (!c || renew) {
      c = new ClientSecretCredential(this.#settings.tenantId, this.#settings.clientId, this.#secret, {
        authorityHost: this.#settings.authorityHost,
        disableInstanceDiscovery: true,
        httpClient: azureHttp(http),
        retryOptions: { maxRetries: 0 },
      })
      this.#credentials.set(http, c)
    }
    return c
  }

  /**
   * A token for Graph, kept until 5 minutes before it expires (asking MSAL's cache on every batch
   * costs more CPU than the batch) and shared by concurrent batches.
   * @throws ConnectorError auth (refused) / unavailable
   */
  token(ctx: CallContext): Promise<string> {
    const held = this.#tokens.get(ctx.http)
    if (held && held.expiresAt - 300_000 > Date.now()) return held.token
    const pending = this.#fetchToken(ctx).then(
      (t) => {
        this.#tokens.set(ctx.http, { token: Promise.resolve(t.token), expiresAt: t.expiresOnTimestamp })
        return t.token
      },
      (err) => {
        this.#tokens.delete(ctx.http)
        throw err
      },
    )
    this.#tokens.set(ctx.http, { token: pending, expiresAt: Number.POSITIVE_INFINITY })
    return pending
  }

  async #fetchToken(ctx: CallContext) {
    try {
      const t = await this.#credential(ctx.http).getToken(`${this.#settings.graphBaseUrl}/.default`, {
        abortSignal: ctx.signal,
      })
      if (!t) throw new Error('no token')
      return t
    } catch (err) {
      const e = err as { name?: string; statusCode?: number; message?: string }
      // MSAL's refusal (bad secret, unknown app or tenant) arrives as AuthenticationRequiredError or
      // AuthenticationError carrying the OAuth error code; anything else (network, 5xx) is transient.
      const refused =
        /^(invalid_client|unauthorized_client|invalid_request|invalid_grant)\b/.test(e.message ?? '') ||
        (e.name === 'AuthenticationError' && (e.statusCode ?? 0) >= 400 && (e.statusCode ?? 0) < 500)
      if (refused)
        throw new ConnectorError('auth', 'msgraph: the tenant refused the client id or secret', { cause: err })
      throw new ConnectorError('unavailable', `msgraph: no token: ${(e.message ?? '').split('\n')[0]}`, { cause: err })
    }
  }

  /**
   * Runs the ops (as `$batch` members) and answers each in order: its answer, or a ConnectorError when
   * throttling/5xx outlasted the budget. @throws ConnectorError auth (credentials refused twice, or a
   * whole batch refused), rejected (egress policy), unavailable (aborted)
   */
  async run(ops: GraphOp[], ctx: CallContext): Promise<(GraphAnswer | ConnectorError)[]> {
    const results: (GraphAnswer | ConnectorError)[] = new Array(ops.length)
    let pending: Slot[] = ops.map((op, i) => ({ i, op, attempts: 0, notBefore: 0 }))
    const started = Date.now()
    const lim = this.#limits
    let renewed = false
    let fatal: ConnectorError | undefined
    let active = 0
    let timer: NodeJS.Timeout | undefined

    const retry = (s: Slot, kind: 'rate_limited' | 'unavailable', waitMs: number, why: string) => {
      s.attempts++
      if (s.attempts >= lim.maxAttempts || Date.now() + waitMs - started > lim.retryBudgetMs) {
        results[s.i] = new ConnectorError(kind, `msgraph: ${why} after ${s.attempts} attempts`, {
          retryAfterMs: Math.max(waitMs, 1000),
        })
      } else {
        s.notBefore = Date.now() + waitMs
        pending.push(s)
      }
    }
    const backoff = (s: Slot) => Math.min(250 * 2 ** s.attempts, 4000)
    const renew = (ctx: CallContext) => {
      if (renewed) return false
      renewed = true
      this.#credential(ctx.http, true)
      this.#tokens.delete(ctx.http)
      return true
    }

    const sendBatch = async (batch: Slot[]) => {
      const token = await this.token(ctx)
      const client = Client.initWithMiddleware({
        baseUrl: this.#settings.graphBaseUrl,
        defaultVersion: 'v1.0',
        customHosts: new Set([new URL(this.#settings.graphBaseUrl).hostname]),
        middleware: [new AuthenticationHandler({ getAccessToken: async () => token }), httpMiddleware(ctx)],
      })
      const requests = batch.map((s, n) => ({
        id: String(n),
        method: s.op.method,
        url: s.op.url,
        headers: {
          Prefer: IMMUTABLE,
          ...(s.op.body === undefined ? {} : { 'Content-Type': 'application/json' }),
          ...s.op.headers,
        },
        ...(s.op.body === undefined ? {} : { body: s.op.body }),
      }))
      this.batches++
      let answer: { responses?: { id: string; status: number; headers?: Record<string, string>; body?: GraphBody }[] }
      try {
        answer = await client.api('/$batch').header('Prefer', IMMUTABLE).post({ requests })
      } catch (err) {
        const status = err instanceof GraphError ? err.statusCode : -1
        const headers: Record<string, string> = {}
        if (err instanceof GraphError && err.headers) for (const [k, v] of err.headers) headers[k] = v
        if (status === 401 && (err as GraphError).code === 'InvalidAuthenticationToken' && renew(ctx)) {
          for (const s of batch) pending.push(s)
          return
        }
        if (status === 401 || status === 403)
          throw new ConnectorError('auth', `msgraph: $batch refused (HTTP ${status} ${(err as GraphError).code ?? ''})`)
        if (status === 429) for (const s of batch) retry(s, 'rate_limited', retryAfterMs(headers) ?? 1000, 'throttled')
        else if (status >= 500 || status === -1) {
          if (ctx.signal.aborted) throw new ConnectorError('unavailable', 'aborted')
          if (/egress policy|not a valid URL|URLs are not allowed/.test((err as Error).message))
            throw new ConnectorError('rejected', `msgraph: ${(err as Error).message}`)
          for (const s of batch) retry(s, 'unavailable', retryAfterMs(headers) ?? backoff(s), `HTTP ${status}`)
        } else throw new ConnectorError('rejected', `msgraph: $batch answered HTTP ${status}`)
        return
      }
      const byId = new Map((answer.responses ?? []).map((r) => [r.id, r]))
      batch.forEach((s, n) => {
        const r = byId.get(String(n))
        const headers = Object.fromEntries(Object.entries(r?.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]))
        if (!r) retry(s, 'unavailable', backoff(s), 'member missing from the $batch answer')
        else if (r.status === 429) retry(s, 'rate_limited', retryAfterMs(headers) ?? 1000, 'throttled')
        else if (r.status >= 500) retry(s, 'unavailable', retryAfterMs(headers) ?? backoff(s), `HTTP ${r.status}`)
        else if (isExpiredToken(r.status, r.body) && renew(ctx)) pending.push(s)
        else results[s.i] = { status: r.status, body: r.body, headers }
      })
    }

    await new Promise<void>((resolve, reject) => {
      const pump = () => {
        clearTimeout(timer)
        if (!fatal && ctx.signal.aborted) fatal = new ConnectorError('unavailable', 'aborted')
        if (fatal) return active === 0 ? reject(fatal) : undefined
        if (pending.length === 0) return active === 0 ? resolve() : undefined
        const now = Date.now()
        while (active < lim.batchesInFlight) {
          const batch: Slot[] = []
          const taken = new Map<string, number>()
          const rest: Slot[] = []
          for (const s of pending) {
            const k = s.op.key
            const used = k === null ? 0 : (this.#inflight.get(k) ?? 0) + (taken.get(k) ?? 0)
            if (batch.length >= lim.batchSize || s.notBefore > now || used >= lim.perMailbox) rest.push(s)
            else {
              if (k !== null) taken.set(k, (taken.get(k) ?? 0) + 1)
              batch.push(s)
            }
          }
          if (batch.length === 0) break
          pending = rest
          for (const [k, n] of taken) this.#inflight.set(k, (this.#inflight.get(k) ?? 0) + n)
          active++
          sendBatch(batch)
            .catch((err) => {
              fatal ??= err instanceof ConnectorError ? err : new ConnectorError('unavailable', String(err))
            })
            .finally(() => {
              for (const [k, n] of taken) {
                const left = (this.#inflight.get(k) ?? 0) - n
                if (left > 0) this.#inflight.set(k, left)
                else this.#inflight.delete(k)
              }
              active--
              pump()
            })
        }
        // Members wait for a Retry-After, or for slots other calls on this instance hold.
        if (pending.length && active < lim.batchesInFlight) {
          const due = Math.min(...pending.map((s) => s.notBefore))
          timer = setTimeout(pump, due > now ? due - now + 1 : 20)
        }
      }
      pump()
    })
    return results
  }
}
