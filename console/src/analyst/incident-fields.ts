import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { updateIncidentFields } from '../../../core/src/domain/incidents/update-incident-fields.ts'
import { formErrors, idParam, readForm } from '../forms.ts'
import { redirect } from '../htmx.ts'
import { incidentPage } from './incident-show.ts'

/**
 * POST /incidents/:id/fields: every `f:<name>` input; an empty value clears the field. Only
 * changed values become history (the domain skips unchanged ones), so the disposition history
 * shows exactly what the analyst changed.
 */
export const incidentFields = async (c: Context<AppEnv>) => {
  const id = idParam(c)
  const f = await readForm(c)
  const fields: Record<string, string | null> = {}
  for (const [k, v] of Object.entries(f)) if (k.startsWith('f:')) fields[k.slice(2)] = (v[0] ?? '').trim() || null
  try {
    // Nothing submitted: show the page again (which also answers 404 for an incident the actor cannot see).
    if (Object.keys(fields).length === 0) return incidentPage(c, id, { _: 'Nothing to save.' }, 422)
    await updateIncidentFields(c.var.deps.db, c.var.actor!, id, fields, { allowOverride: true })
    return redirect(c, `/incidents/${id}`)
  } catch (err) {
    return incidentPage(c, id, formErrors(err), 422)
  }
}
