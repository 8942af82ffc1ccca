import type { Context } from 'hono'
import { html } from 'hono/html'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { testConnector } from '../../../core/src/domain/connectors/test-connector.ts'
import { idParam } from '../forms.ts'
import { isHtmx } from '../htmx.ts'
import { connectionsPage } from './connections-page.ts'

/** POST /connections/:id/test — htmx: the outcome cell; otherwise the list with the outcome. */
export const connectorTest = async (c: Context<AppEnv>) => {
  const r = await testConnector(c.var.deps.db, c.var.deps.keyring, c.var.actor!, idParam(c), { log: c.var.log })
  if (isHtmx(c)) return c.html(html`<span class="badge">${r.isOk ? 'ok' : 'failed'}</span> ${r.message}`)
  return r.isOk ? connectionsPage(c, { notice: r.message }) : connectionsPage(c, { error: r.message })
}
