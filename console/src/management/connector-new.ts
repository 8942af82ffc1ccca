import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { assertCan } from '../../../core/src/policy/index.ts'
import { connectorFormPage } from './connector-edit.ts'

/** GET /connections/new?kind=K */
export const connectorNew = (c: Context<AppEnv>) => {
  assertCan(c.var.actor!, 'system.manage')
  return connectorFormPage(c, c.req.query('kind') ?? '', undefined, {})
}
