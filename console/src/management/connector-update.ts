import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { manifestOf } from '../../../core/src/connectors/index.ts'
import { listConnectors } from '../../../core/src/domain/connectors/list-connectors.ts'
import { updateConnector } from '../../../core/src/domain/connectors/update-connector.ts'
import { checked, idParam, one, readForm } from '../forms.ts'
import { connectorFormPage } from './connector-edit.ts'
import { connectorInputFrom } from './connector-form.ts'
import { userMessage } from './view.ts'

/** POST /connections/:id — saves (empty secrets keep theirs), then back to the list. */
export const connectorUpdate = async (c: Context<AppEnv>) => {
  const id = idParam(c)
  const [current] = await listConnectors(c.var.deps.db, c.var.actor!, id)
  const form = await readForm(c)
  const { settings, secrets } = connectorInputFrom(manifestOf(current!.kind), form)
  const values = {
    name: one(form, 'name'),
    settings,
    isEnabled: checked(form, 'isEnabled'),
    isOnPremises: checked(form, 'isOnPremises'),
  }
  try {
    await updateConnector(c.var.deps.db, c.var.deps.keyring, c.var.actor!, id, { ...values, secrets })
    return c.redirect('/connections', 303)
  } catch (err) {
    return connectorFormPage(
      c,
      current!.kind,
      id,
      { ...values, secretsSet: current!.secretsSet },
      userMessage(err),
      422,
    )
  }
}
