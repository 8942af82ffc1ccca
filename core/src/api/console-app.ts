import { Hono } from 'hono'
import { onError } from './app.ts'
import { limitBody } from './body-limit.ts'
import type { AppEnv, Deps } from './env.ts'
import { health } from './health.ts'
import { authenticate } from './middleware/auth.ts'
import { requestContext } from './middleware/context.ts'
import { storableQuery } from './middleware/storable-query.ts'

/** The console role's app (management console port): health plus the pages console/ mounts. */
export const buildConsoleApp = (deps: Deps, mount?: (app: Hono<AppEnv>) => void) => {
  const app = new Hono<AppEnv>()
  app.use('*', requestContext(deps))
  app.use('*', authenticate)
  app.use('*', limitBody)
  app.use('*', storableQuery)
  app.route('/', health)
  mount?.(app)
  app.notFound((c) =>
    c.json({ error: { code: 'NOT_FOUND', message: `no route for ${c.req.method} ${c.req.path}` } }, 404),
  )
  app.onError(onError)
  return app
}
