import { Hono } from 'hono'
import { produces } from '../describe.ts'
import type { AppEnv } from '../env.ts'
import { guard } from '../middleware/auth.ts'
import { buildOpenApi } from './build.ts'

export { buildOpenApi }

export const openapiApi = new Hono<AppEnv>()

/** Public: the document describes routes, never data. */
openapiApi.get(
  '/api/openapi.json',
  guard({ auth: 'public' }),
  produces('application/json', 'this document'),
  async (c) => {
    const { apiRoutes } = await import('../routes.ts')
    return c.json(buildOpenApi(apiRoutes.routes))
  },
)
