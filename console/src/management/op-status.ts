import type { Context } from 'hono'
import { readOp } from '../../../appliance/src/ops/progress.ts'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { opFragment } from './view.ts'

/** GET /ops/:id — the progress fragment htmx polls (also after the browser was closed and reopened). */
export const opStatus = (c: Context<AppEnv>) => {
  const id = c.req.param('id') ?? ''
  if (!/^[a-z0-9-]+$/.test(id)) return c.notFound()
  c.header('Cache-Control', 'no-store')
  return c.html(opFragment(readOp(c.var.deps.config.dataDir, id), id))
}
