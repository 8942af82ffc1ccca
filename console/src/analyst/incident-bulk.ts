import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { closeIncidents } from '../../../core/src/domain/incidents/close-incidents.ts'
import { setTeamAndAssignee } from '../../../core/src/domain/incidents/set-team-and-assignee.ts'
import { linkIncident } from '../../../core/src/domain/investigations/link-incident.ts'
import { AppError } from '../../../core/src/errors.ts'
import { all, one, readForm } from '../forms.ts'
import { redirect } from '../htmx.ts'

const back = (r: string) => (/^\/incidents(\?[\w\-.=&%+]*)?$/.test(r) ? r : '/incidents')

/**
 * POST /incidents/bulk: closes the selected incidents (all or nothing, in one transaction), sets
 * their team and assignee, or links them to an open investigation; then back to the same list view.
 * @throws AppError INVALID_REQUEST when nothing is selected (the list shows it as an error page).
 */
export const incidentBulk = async (c: Context<AppEnv>) => {
  const f = await readForm(c)
  const ids = all(f, 'ids')
    .filter((s) => /^\d{1,15}$/.test(s))
    .map(Number)
  if (ids.length === 0) throw new AppError('INVALID_REQUEST', 'Select at least one incident first.')
  const { db } = c.var.deps
  const actor = c.var.actor!
  if (one(f, 'action') === 'close') {
    await closeIncidents(db, actor, ids, { summary: one(f, 'summary') })
  } else if (one(f, 'action') === 'assign') {
    for (const id of ids)
      await setTeamAndAssignee(db, actor, id, { team: one(f, 'team') || null, assignee: one(f, 'assignee') || null })
  } else if (one(f, 'action') === 'link' && /^\d{1,15}$/.test(one(f, 'investigation'))) {
    for (const id of ids) await linkIncident(db, actor, Number(one(f, 'investigation')), id)
  } else {
    throw new AppError('INVALID_REQUEST', 'Unknown bulk action.')
  }
  return redirect(c, back(one(f, 'return')))
}
