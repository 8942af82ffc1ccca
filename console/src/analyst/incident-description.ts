import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { setDescription } from '../../../core/src/domain/incidents/set-description.ts'
import { formErrors, idParam, one, readForm } from '../forms.ts'
import { redirect } from '../htmx.ts'
import { incidentPage } from './incident-show.ts'

/** POST /incidents/:id/description (description, mode=append|overwrite). */
export const incidentDescription = async (c: Context<AppEnv>) => {
  const id = idParam(c)
  const f = await readForm(c)
  try {
    await setDescription(c.var.deps.db, c.var.actor!, id, {
      description: f.description?.[0] ?? '',
      overwrite: one(f, 'mode') === 'overwrite',
    })
    return redirect(c, `/incidents/${id}`)
  } catch (err) {
    return incidentPage(c, id, formErrors(err), 422)
  }
}
