import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { addIncidentHosts } from '../../../core/src/domain/incidents/add-incident-hosts.ts'
import { formErrors, idParam, one, readForm } from '../forms.ts'
import { isHtmx, redirect } from '../htmx.ts'
import { incidentPage } from './incident-show.ts'

/** POST /incidents/:id/hosts (kind=attacker|cnc|forensics|url, host): adds a host; 422 with the form's error. */
export const incidentHostAdd = async (c: Context<AppEnv>) => {
  const id = idParam(c)
  const f = await readForm(c)
  try {
    await addIncidentHosts(c.var.deps.db, c.var.actor!, id, [{ kind: one(f, 'kind'), host: one(f, 'host') }])
  } catch (err) {
    return incidentPage(c, id, formErrors(err), 422)
  }
  // htmx swaps #incident-hosts out of the page; a plain form follows the redirect
  return isHtmx(c) ? incidentPage(c, id) : redirect(c, `/incidents/${id}`)
}
