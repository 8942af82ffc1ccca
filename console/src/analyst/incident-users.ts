import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { addIncidentUsers } from '../../../core/src/domain/incidents/add-incident-users.ts'
import { formErrors, idParam, one, readForm } from '../forms.ts'
import { redirect } from '../htmx.ts'
import { incidentPage } from './incident-show.ts'

/** POST /incidents/:id/users (kind=targets|attackers, username): adds a targeted or attacking user. */
export const incidentUsers = async (c: Context<AppEnv>) => {
  const id = idParam(c)
  const f = await readForm(c)
  const username = one(f, 'username')
  try {
    await addIncidentUsers(
      c.var.deps.db,
      c.var.actor!,
      id,
      one(f, 'kind') === 'attackers' ? { attackers: [username] } : { targets: [username] },
    )
    return redirect(c, `/incidents/${id}`)
  } catch (err) {
    return incidentPage(c, id, { username: Object.values(formErrors(err))[0] ?? 'not accepted' }, 422)
  }
}
