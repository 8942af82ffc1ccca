import { randomUUID } from 'node:crypto'
import { getConnInfo } from '@hono/node-server/conninfo'
import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import { matchedRoutes } from 'hono/route'
import type { AppEnv, Deps } from '../env.ts'

const SANE_ID = /^[A-Za-z0-9._-]{8,100}$/

/** Request id (honours a sane incoming X-Request-Id), a child logger carrying it, access log. */
export const requestContext = (deps: Deps) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const incoming = c.req.header('x-request-id')
    const requestId = incoming && SANE_ID.test(incoming) ? incoming : randomUUID()
    const log = deps.log.child({ requestId })
    c.set('deps', deps)
    c.set('requestId', requestId)
    c.set('log', log)
    c.set('actor', undefined)
    c.set('session', undefined)
    c.set('renderError', undefined)
    const started = performance.now()
    await next()
    // On the answer's own headers: c.header() on a finished answer copies it through its body
    // (a web stream), which made every answer take @hono/node-server's slow path (issue 16
    // profile: ~100 µs per intake request). Immutable headers (a proxied fetch answer) are copied.
    try {
      c.res.headers.set('X-Request-Id', requestId)
    } catch {
      c.header('X-Request-Id', requestId)
    }
    // With LOG_LEVEL above info (warn, error) there is no access log: compute nothing of it.
    if (!log.isLevelEnabled('info')) return
    const ms = Math.round((performance.now() - started) * 10) / 10
    log.info({ method: c.req.method, path: loggedPath(c), status: c.res.status, ms }, 'request')
  })

/**
 * The request path as logged: on a route authorised by a token in its URL (guard `token`: JSON
 * intake, list feeds) every parameter segment is `[redacted]`, so the journal never holds a
 * credential (`/threat/json_event/events/[redacted]`, `/feeds/lists/[redacted]`).
 */
export const loggedPath = (c: Context) => {
  const path = c.req.path
  const tokenRoute = matchedRoutes(c).find(
    (r) => (r.handler as { access?: { auth?: string } }).access?.auth === 'token',
  )
  if (!tokenRoute) return path
  const pattern = tokenRoute.path.split('/')
  return path
    .split('/')
    .map((segment, i) => (pattern[i]?.startsWith(':') || pattern[i] === '*' ? '[redacted]' : segment))
    .join('/')
}

export const clientIp = (c: Context) => {
  try {
    return getConnInfo(c).remote.address
  } catch {
    return undefined
  }
}
