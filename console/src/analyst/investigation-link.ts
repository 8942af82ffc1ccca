import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { linkIncident } from '../../../core/src/domain/investigations/link-incident.ts'
import { unlinkIncident } from '../../../core/src/domain/investigations/unlink-incident.ts'
import { AppError } from '../../../core/src/errors.ts'
import { idParam, one, readForm } from '../forms.ts'
import { redirect } from '../htmx.ts'
import { investigationPage } from './investigation-show.ts'

/**
 * POST /investigations/:id/links (incidentId: one or several ids separated by commas/spaces,
 * linked=true|false). An incident the actor cannot see reads as "not found", like a missing one.
 */
export const investigationLink = async (c: Context<AppEnv>) => {
  const id = idParam(c)
  const f = await readForm(c)
  const ids = one(f, 'incidentId')
    .split(/[\s,;#]+/)
    .filter(Boolean)
  if (ids.length === 0 || ids.some((s) => !/^\d{1,15}$/.test(s)))
    return investigationPage(c, id, { incidentId: 'Give incident IDs (numbers).' }, 422)
  const change = one(f, 'linked') === 'false' ? unlinkIncident : linkIncident
  try {
    for (const incidentId of ids) await change(c.var.deps.db, c.var.actor!, id, Number(incidentId))
    return redirect(c, `/investigations/${id}`)
  } catch (err) {
    if (err instanceof AppError && err.code === 'NOT_FOUND' && /incident/.test(err.message))
      return investigationPage(c, id, { incidentId: err.message }, 422)
    throw err
  }
}
