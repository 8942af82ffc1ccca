import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { manifestOf } from '../../../core/src/connectors/index.ts'
import { createConnector } from '../../../core/src/domain/connectors/create-connector.ts'
import { checked, one, readForm } from '../forms.ts'
import { connectorFormPage } from './connector-edit.ts'
import { connectorInputFrom } from './connector-form.ts'
import { userMessage } from './view.ts'

/** POST /connections/new?kind=K — creates, then back to the list; 422 with the values on a bad field. */
export const connectorCreate = async (c: Context<AppEnv>) => {
  const kind = c.req.query('kind') ?? ''
  const manifest = manifestOf(kind)
  const form = await readForm(c)
  const { settings, secrets } = connectorInputFrom(manifest, form)
  const values = {
    name: one(form, 'name'),
    settings,
    isEnabled: checked(form, 'isEnabled'),
    isOnPremises: checked(form, 'isOnPremises'),
  }
  try {
    await createConnector(c.var.deps.db, c.var.deps.keyring, c.var.actor!, { kind, ...values, secrets })
    return c.redirect('/connections', 303)
  } catch (err) {
    return connectorFormPage(c, kind, undefined, values, userMessage(err), 422)
  }
}
