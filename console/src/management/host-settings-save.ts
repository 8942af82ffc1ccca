import type { Context } from 'hono'
import { setHostSettings } from '../../../appliance/src/system/set-host-settings.ts'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { AppError } from '../../../core/src/errors.ts'
import { one, readForm } from '../forms.ts'
import { HOST_FORM_FIELDS, type HostFormValues, hostFormField, hostSettingsInput } from './host-settings-form.ts'
import { hostSettingsPage } from './host-settings-page.ts'

/**
 * POST /host — saves (audited) and queues the privileged helper; 422 with the submitted
 * values and the message beside the field; 409 in a checkout, where these settings are read-only.
 */
export const hostSettingsSave = async (c: Context<AppEnv>) => {
  const form = await readForm(c)
  const values = Object.fromEntries(HOST_FORM_FIELDS.map((f) => [f, one(form, f)])) as HostFormValues
  try {
    const r = await setHostSettings(c.var.deps.db, c.var.actor!, c.var.deps.config, hostSettingsInput(values))
    return hostSettingsPage(c, { notice: 'Saved. The privileged helper is applying the settings.', opId: r.opId })
  } catch (err) {
    if (!(err instanceof AppError)) throw err
    if (err.code === 'CONFLICT') return hostSettingsPage(c, { error: err.message }, 409)
    if (err.code !== 'INVALID_REQUEST') throw err
    const m = /^([\w.]+): (.*)$/s.exec(err.message)
    const field = m ? hostFormField(m[1]!) : '_'
    return hostSettingsPage(c, { values, errors: { [field]: err.message } }, 422)
  }
}
