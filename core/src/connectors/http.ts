import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { isIP, type LookupFunction } from 'node:net'
import { Agent, type Dispatcher, ProxyAgent, request } from 'undici'
import { type EgressPolicy, egressRefusal } from './egress.ts'
import { ConnectorError } from './errors.ts'

/** The system-wide outbound proxy (settings key `proxy`); `noProxy` is a comma list of host suffixes. */
export type ProxySettings = { url: string; noProxy: string }

export type HttpRequest = {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD'
  headers?: Record<string, string>
  /** a raw body; or `json`, which also sets content-type */
  body?: string | Buffer
  json?: unknown
  /** the job's (or request's) abort signal; combined with the timeout */
  signal?: AbortSignal
  /** whole request, connect to last byte; default the client's */
  timeoutMs?: number
  /** a larger answer is cut off with an error rather than buffered; default 10 MB */
  maxResponseBytes?: number
}

export type HttpResponse = {
  status: number
  headers: Record<string, string>
  body: Buffer
  text(): string
  json<T = unknown>(): T
}

/** The one outbound HTTP client: egress policy, proxy, timeouts, abort, bounded answers. */
export type HttpClient = { request(url: string, req?: HttpRequest): Promise<HttpResponse> }

export type HttpClientOptions = {
  policy: EgressPolicy
  proxy?: ProxySettings
  timeoutMs?: number
  connectTimeoutMs?: number
  /** PEM certificates trusted in place of the system roots (a private CA; the tests' loopback HTTPS peers) */
  ca?: string | string[]
}

class EgressRefused extends Error {}

/**
 * A resolver for net.connect that refuses a name when ANY of its addresses is refused (so a
 * name cannot mix a public and a private address and hope for the right one to be picked).
 */
export const guardedLookup =
  (policy: EgressPolicy): LookupFunction =>
  (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0)
      for (const a of addresses) {
        const why = egressRefusal(a.address, policy)
        if (why) return callback(new EgressRefused(`egress policy: ${hostname} resolves to ${why}`), '', 0)
      }
      if ((options as { all?: boolean }).all)
        return (callback as (e: null, a: LookupAddress[]) => void)(null, addresses)
      const first = addresses[0]!
      callback(null, first.address, first.family)
    })
  }

/**
 * Resolves `host` (a name or an IP literal) to one address the policy allows, for non-HTTP
 * connections. @throws ConnectorError rejected (policy) or unavailable (resolution failed)
 */
export const resolveUnderPolicy = (policy: EgressPolicy, host: string) =>
  new Promise<{ address: string; family: number }>((resolve, reject) => {
    const literal = host.replace(/^\[|\]$/g, '')
    if (isIP(literal)) {
      const why = egressRefusal(literal, policy)
      return why
        ? reject(new ConnectorError('rejected', `egress policy: ${why}`))
        : resolve({ address: literal, family: isIP(literal) })
    }
    guardedLookup(policy)(host, {}, (err, address, family) => {
      if (err instanceof EgressRefused) return reject(new ConnectorError('rejected', err.message))
      if (err)
        return reject(new ConnectorError('unavailable', `${host}: ${(err as { code?: string }).code ?? err.message}`))
      resolve({ address: address as string, family: family ?? 4 })
    })
  })

const bypassesProxy = (host: string, noProxy: string) =>
  noProxy
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean)
    .some(
      (suffix) =>
        suffix === '*' || host === suffix.replace(/^\./, '') || host.endsWith(`.${suffix.replace(/^\./, '')}`),
    )

const causeChain = (err: unknown): unknown[] => {
  const out: unknown[] = []
  for (let e = err; e && out.length < 6; e = (e as { cause?: unknown }).cause) out.push(e)
  return out
}

/** Creates a client. Dispatchers are kept per client; call `close()` when the client is discarded. */
export const createHttpClient = (options: HttpClientOptions): HttpClient & { close(): Promise<void> } => {
  const timeoutMs = options.timeoutMs ?? 30_000
  const ca = options.ca ? { ca: options.ca } : {}
  const connect = { timeout: options.connectTimeoutMs ?? 10_000, lookup: guardedLookup(options.policy), ...ca }
  const direct = new Agent({ connect })
  const proxied = options.proxy?.url
    ? new ProxyAgent({ uri: options.proxy.url, proxyTls: {}, requestTls: ca })
    : undefined

  const dispatcherFor = (url: URL): Dispatcher =>
    proxied && !bypassesProxy(url.hostname.toLowerCase(), options.proxy?.noProxy ?? '') ? proxied : direct

  return {
    async request(raw, req = {}) {
      let url: URL
      try {
        url = new URL(raw)
      } catch {
        throw new ConnectorError('rejected', 'not a valid URL')
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:')
        throw new ConnectorError('rejected', `${url.protocol} URLs are not allowed`)
      // A literal IP never goes through the resolver, so it is judged here.
      const host = url.hostname.replace(/^\[|\]$/g, '')
      if (isIP(host)) {
        const why = egressRefusal(host, options.policy)
        if (why) throw new ConnectorError('rejected', `egress policy: ${why}`)
      }
      const limit = req.maxResponseBytes ?? 10 * 1024 * 1024
      const timeout = AbortSignal.timeout(req.timeoutMs ?? timeoutMs)
      const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout
      const headers: Record<string, string> = { 'user-agent': 'Clawback', ...req.headers }
      let body = req.body
      if (req.json !== undefined) {
        body = JSON.stringify(req.json)
        headers['content-type'] ??= 'application/json'
      }
      try {
        const res = await request(url, {
          method: req.method ?? (body === undefined ? 'GET' : 'POST'),
          headers,
          body,
          signal,
          dispatcher: dispatcherFor(url), // undici's request never follows redirects
        })
        const chunks: Buffer[] = []
        let size = 0
        for await (const chunk of res.body) {
          size += chunk.length
          if (size > limit) {
            res.body.destroy()
            throw new ConnectorError('unavailable', `answer larger than ${limit} bytes`)
          }
          chunks.push(chunk)
        }
        const buf = Buffer.concat(chunks)
        const flat: Record<string, string> = {}
        for (const [k, v] of Object.entries(res.headers))
          if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(', ') : v
        return {
          status: res.statusCode,
          headers: flat,
          body: buf,
          text: () => buf.toString('utf8'),
          json: <T>() => JSON.parse(buf.toString('utf8')) as T,
        }
      } catch (err) {
        if (err instanceof ConnectorError) throw err
        const chain = causeChain(err)
        const refused = chain.find((e) => e instanceof EgressRefused) as EgressRefused | undefined
        if (refused) throw new ConnectorError('rejected', refused.message)
        if (req.signal?.aborted) throw new ConnectorError('unavailable', 'aborted', { cause: err })
        if (timeout.aborted)
          throw new ConnectorError('unavailable', `no answer within ${req.timeoutMs ?? timeoutMs} ms`, { cause: err })
        const code = chain.map((e) => (e as { code?: string }).code).find(Boolean)
        throw new ConnectorError('unavailable', `${url.host}: ${code ?? (err as Error).message}`, { cause: err })
      }
    },
    async close() {
      await Promise.all([direct.close(), proxied?.close()])
    },
  }
}

/** Retry-After (seconds or an HTTP date) in milliseconds, if present and sane (≤ 1 hour). */
export const retryAfterMs = (headers: Record<string, string>): number | undefined => {
  const v = headers['retry-after']
  if (!v) return undefined
  const seconds = Number(v)
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(v) - Date.now()
  return Number.isFinite(ms) && ms >= 0 ? Math.min(ms, 3_600_000) : undefined
}

/**
 * Throws the ConnectorError a non-2xx answer means: 401/403 auth, 404/410 not_found,
 * 429 rate_limited (with Retry-After), other 4xx rejected, 5xx unavailable (with Retry-After).
 */
export const throwForStatus = (vendor: string, res: HttpResponse): void => {
  if (res.status >= 200 && res.status < 300) return
  const detail = `${vendor}: HTTP ${res.status}`
  const retry = retryAfterMs(res.headers)
  if (res.status === 401 || res.status === 403) throw new ConnectorError('auth', detail)
  if (res.status === 404 || res.status === 410) throw new ConnectorError('not_found', detail)
  if (res.status === 429) throw new ConnectorError('rate_limited', detail, { retryAfterMs: retry ?? 60_000 })
  if (res.status < 500) throw new ConnectorError('rejected', detail)
  throw new ConnectorError('unavailable', detail, { retryAfterMs: retry })
}
