import { gaxios, JWT } from 'google-auth-library'
import { ConnectorError } from '../errors.ts'
import { retryAfterMs } from '../http.ts'
import type { CallContext } from '../types.ts'

/** google-auth-library's (gtoken's) fixed token endpoint; also the JWT's audience. */
// gaxios as google-auth-library loads it (its CommonJS build): one Gaxios and one GaxiosError class
const { Gaxios, GaxiosError } = gaxios

export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token'

const bodyOf = (body: unknown): string | Buffer | undefined => {
  if (body === undefined || body === null) return undefined
  if (typeof body === 'string' || Buffer.isBuffer(body)) return body
  if (body instanceof URLSearchParams) return body.toString()
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return Buffer.from(body as ArrayBuffer)
  throw new ConnectorError('rejected', 'gmail: a request body of an unsupported kind')
}

/**
 * A gaxios instance whose every request (the token POST of google-auth-library and every API
 * call of @googleapis/*) goes through `ctx.http` — the egress policy, proxy, timeouts and abort
 * signal of the instance — through gaxios' documented `fetchImplementation` hook. gaxios' own
 * retries are off (`retryConfig.retry: 0`): connectors never retry, the job layer does.
 * `tokenUrl` replaces google-auth-library's fixed token endpoint when it differs (a test peer);
 * the signed JWT, its audience and the request are otherwise exactly the production ones.
 */
export const gaxiosVia = (ctx: CallContext, tokenUrl: string) =>
  new Gaxios({
    retry: false,
    retryConfig: { retry: 0, noResponseRetries: 0 },
    fetchImplementation: (async (input: string | URL | Request, init?: RequestInit) => {
      const url = String(input instanceof Request ? input.url : input)
      const headers: Record<string, string> = {}
      new Headers(init?.headers).forEach((v, k) => {
        headers[k] = v
      })
      const res = await ctx.http.request(url === GOOGLE_TOKEN_URL ? tokenUrl : url, {
        method: (init?.method?.toUpperCase() ?? 'GET') as 'GET',
        headers,
        body: bodyOf(init?.body),
        signal: init?.signal ? AbortSignal.any([ctx.signal, init.signal]) : ctx.signal,
      })
      return new Response(res.status === 204 ? null : new Uint8Array(res.body), {
        status: res.status,
        headers: res.headers,
      })
    }) as typeof fetch,
  })

/**
 * JWT whose refresh always asks the token endpoint: google-auth-library's JWT keeps its gtoken,
 * which answers its cached token until that token's own expiry, so a token the server stopped
 * accepting early (401) would be sent again. With a fresh gtoken the one re-try after a 401
 * (`forceRefreshOnFailure`) carries a new token.
 */
class DelegatedJwt extends JWT {
  protected override async refreshTokenNoCache() {
    Reflect.deleteProperty(this, 'gtoken')
    return super.refreshTokenNoCache()
  }
}

/** A service-account client acting as `subject` for one scope (one scope per client, so a refusal names it). */
export const delegatedClient = (
  ctx: CallContext,
  opts: { clientEmail: string; privateKey: string; subject: string; scope: string; tokenUrl: string },
) =>
  new DelegatedJwt({
    email: opts.clientEmail,
    key: opts.privateKey,
    subject: opts.subject,
    scopes: [opts.scope],
    transporter: gaxiosVia(ctx, opts.tokenUrl),
    // an access token the server stopped accepting (401) is renewed once and the call repeated
    forceRefreshOnFailure: true,
  })

type GoogleErrorBody = {
  error?: string | { code?: number; message?: string; status?: string; errors?: { reason?: string }[] }
  error_description?: string
}

const THROTTLED = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'quotaExceeded', 'concurrentLimitExceeded'])

/**
 * The ConnectorError a failed Google call means. Token endpoint: `unauthorized_client` → auth
 * (delegation or scope missing), `invalid_grant` for an unknown user → not_found. API: 429 and
 * 403 with a rate-limit reason → rate_limited (Retry-After, else 1 s), 401/403 → auth, 404 →
 * not_found, other 4xx → rejected, 5xx and transport failures → unavailable.
 */
export const toConnectorError = (err: unknown, what: string): ConnectorError => {
  if (err instanceof ConnectorError) return err
  for (let e = err; e; e = (e as { cause?: unknown }).cause) if (e instanceof ConnectorError) return e
  if (!(err instanceof GaxiosError) || !err.response)
    return new ConnectorError('unavailable', `gmail: ${what}: ${(err as Error)?.message ?? String(err)}`, {
      cause: err,
    })
  const status = err.response.status
  const body = (err.response.data ?? {}) as GoogleErrorBody
  const headers: Record<string, string> = {}
  new Headers(err.response.headers as HeadersInit).forEach((v, k) => {
    headers[k] = v
  })
  if (typeof body.error === 'string') {
    const desc = body.error_description ?? ''
    if (body.error === 'unauthorized_client')
      return new ConnectorError(
        'auth',
        `gmail: ${what}: domain-wide delegation is not granted for this scope (${body.error})`,
      )
    if (body.error === 'invalid_grant' && /invalid email or user id/i.test(desc))
      return new ConnectorError('not_found', `gmail: ${what}: no such user in the Workspace`)
    return new ConnectorError(status >= 500 ? 'unavailable' : 'auth', `gmail: ${what}: token refused (${body.error})`)
  }
  const reason = body.error?.errors?.[0]?.reason ?? body.error?.status ?? ''
  const detail = `gmail: ${what}: HTTP ${status}${reason ? ` ${reason}` : ''}`
  if (status === 429 || ((status === 403 || status === 400) && THROTTLED.has(reason)))
    return new ConnectorError('rate_limited', detail, { retryAfterMs: retryAfterMs(headers) ?? 1000 })
  if (status === 401 || status === 403) return new ConnectorError('auth', detail)
  if (status === 404 || status === 410) return new ConnectorError('not_found', detail)
  if (status < 500) return new ConnectorError('rejected', detail)
  return new ConnectorError('unavailable', detail, { retryAfterMs: retryAfterMs(headers) })
}
