import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { AppError, STATUS_BY_CODE } from '../errors.ts'
import { limitBody } from './body-limit.ts'
import type { AppEnv, Deps } from './env.ts'
import { health } from './health.ts'
import { authenticate } from './middleware/auth.ts'
import { requestContext } from './middleware/context.ts'
import { storableQuery } from './middleware/storable-query.ts'
import { apiRoutes } from './routes.ts'

/** Answers an error as JSON: AppError by its code's status, anything else a logged generic 500. */
export const onError = (err: Error, c: Parameters<Parameters<Hono<AppEnv>['onError']>[0]>[1]) => {
  const res = answerError(err, c)
  return res instanceof Promise ? res.then(lastIfTooLarge) : lastIfTooLarge(res)
}

/** A body refused for its size was not read to its end: that answer is the connection's last. */
const lastIfTooLarge = (res: Response) => {
  if (res.status === 413) res.headers.set('Connection', 'close')
  return res
}

const answerError = (err: Error, c: Parameters<Parameters<Hono<AppEnv>['onError']>[0]>[1]) => {
  if (err instanceof AppError) {
    if (c.var.renderError) return c.var.renderError(STATUS_BY_CODE[err.code], err.message)
    return c.json({ error: { code: err.code, message: err.message } }, STATUS_BY_CODE[err.code])
  }
  if (err instanceof HTTPException) {
    const res = err.getResponse()
    return c.json(
      {
        error: {
          code: res.status === 413 ? 'PAYLOAD_TOO_LARGE' : 'INVALID_REQUEST',
          message: err.message || res.statusText,
        },
      },
      res.status as 400,
    )
  }
  ;(c.var.log ?? console).error({ err }, 'unhandled error')
  if (c.var.renderError) return c.var.renderError(500, `Something went wrong (request ${c.var.requestId}).`)
  return c.json(
    { error: { code: 'INTERNAL', message: `internal error (request ${c.var.requestId ?? 'unknown'})` } },
    500,
  )
}

/**
 * The api role's app: health, the REST API (native and compatible paths) and, when the caller
 * mounts it, the analyst UI. `mount` lets console/ add its pages without core importing console/.
 */
export const buildApiApp = (deps: Deps, mount?: (app: Hono<AppEnv>) => void) => {
  const app = new Hono<AppEnv>()
  app.use('*', requestContext(deps))
  app.use('*', authenticate)
  app.use('*', limitBody)
  app.use('*', storableQuery)
  app.route('/', health)
  app.route('/', apiRoutes)
  mount?.(app)
  app.notFound((c) =>
    c.json({ error: { code: 'NOT_FOUND', message: `no route for ${c.req.method} ${c.req.path}` } }, 404),
  )
  app.onError(onError)
  return app
}
