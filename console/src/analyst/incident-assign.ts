import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { setTeamAndAssignee } from '../../../core/src/domain/incidents/set-team-and-assignee.ts'
import { formErrors, idParam, one, readForm } from '../forms.ts'
import { redirect } from '../htmx.ts'
import { incidentPage } from './incident-show.ts'

/** POST /incidents/:id/assign (team, assignee; empty = unassigned). */
export const incidentAssign = async (c: Context<AppEnv>) => {
  const id = idParam(c)
  const f = await readForm(c)
  try {
    await setTeamAndAssignee(c.var.deps.db, c.var.actor!, id, {
      team: one(f, 'team') || null,
      assignee: one(f, 'assignee') || null,
    })
    return redirect(c, `/incidents/${id}`)
  } catch (err) {
    return incidentPage(c, id, formErrors(err), 422)
  }
}
