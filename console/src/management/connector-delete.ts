import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { deleteConnector } from '../../../core/src/domain/connectors/delete-connector.ts'
import { idParam } from '../forms.ts'

/** POST /connections/:id/delete */
export const connectorDelete = async (c: Context<AppEnv>) => {
  await deleteConnector(c.var.deps.db, c.var.actor!, idParam(c))
  return c.redirect('/connections', 303)
}
