import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { closeIncidents } from '../../../core/src/domain/incidents/close-incidents.ts'
import { ignoreIncident } from '../../../core/src/domain/incidents/ignore-incident.ts'
import { reopenIncident } from '../../../core/src/domain/incidents/reopen-incident.ts'
import { AppError } from '../../../core/src/errors.ts'
import { formErrors, idParam, one, readForm } from '../forms.ts'
import { redirect } from '../htmx.ts'
import { incidentPage } from './incident-show.ts'

/** POST /incidents/:id/state (action=close|reopen|ignore, summary): state changes, recorded in the timeline. */
export const incidentState = async (c: Context<AppEnv>) => {
  const id = idParam(c)
  const f = await readForm(c)
  const { db } = c.var.deps
  const actor = c.var.actor!
  const action = one(f, 'action')
  try {
    if (action === 'close')
      await closeIncidents(db, actor, [id], { summary: one(f, 'summary'), detail: one(f, 'detail') })
    else if (action === 'reopen') await reopenIncident(db, actor, id, one(f, 'summary'))
    else if (action === 'ignore') await ignoreIncident(db, actor, id, one(f, 'summary'))
    else throw new AppError('INVALID_REQUEST', 'state: unknown action')
    return redirect(c, `/incidents/${id}`)
  } catch (err) {
    if (err instanceof AppError && err.code === 'CONFLICT') return incidentPage(c, id, { state: err.message }, 422)
    return incidentPage(c, id, formErrors(err), 422)
  }
}
