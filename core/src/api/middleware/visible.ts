import { createMiddleware } from 'hono/factory'
import { assertObjectVisible } from '../../domain/incidents/assert-incident-visible.ts'
import type { AppEnv } from '../env.ts'
import { idParam } from '../params.ts'

/** After `guard`: 404 unless the `:id` incident/investigation exists and the actor may see it. */
export const visible = (kind: 'incident' | 'investigation') =>
  createMiddleware<AppEnv>(async (c, next) => {
    await assertObjectVisible(c.var.deps.db, c.var.actor!, kind, idParam(c.req.param('id'), kind))
    await next()
  })
