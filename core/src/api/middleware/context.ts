import { randomUUID } from 'node:crypto'
import { getConnInfo } from '@hono/node-server/conninfo'
import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
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
    c.header('X-Request-Id', requestId)
    const ms = Math.round((performance.now() - started) * 10) / 10
    log.info({ method: c.req.method, path: c.req.path, status: c.res.status, ms }, 'request')
  })

export const clientIp = (c: Context) => {
  try {
    return getConnInfo(c).remote.address
  } catch {
    return undefined
  }
}
