import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { removeIncidentHosts } from '../../../core/src/domain/incidents/remove-incident-hosts.ts'
import { formErrors, idParam, one, readForm } from '../forms.ts'
import { isHtmx, redirect } from '../htmx.ts'
import { incidentPage } from './incident-show.ts'

/** POST /incidents/:id/hosts/remove (kind, host): removes a host (editing is remove + add). */
export const incidentHostRemove = async (c: Context<AppEnv>) => {
  const id = idParam(c)
  const f = await readForm(c)
  try {
    await removeIncidentHosts(c.var.deps.db, c.var.actor!, id, [{ kind: one(f, 'kind'), host: one(f, 'host') }])
  } catch (err) {
    return incidentPage(c, id, formErrors(err), 422)
  }
  return isHtmx(c) ? incidentPage(c, id) : redirect(c, `/incidents/${id}`)
}
