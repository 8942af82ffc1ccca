import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { updateInvestigation } from '../../../core/src/domain/investigations/update-investigation.ts'
import { idParam, one, readForm } from '../forms.ts'
import { redirect } from '../htmx.ts'

/** POST /investigations/:id/state (state=open|closed). */
export const investigationState = async (c: Context<AppEnv>) => {
  const id = idParam(c)
  const f = await readForm(c)
  await updateInvestigation(c.var.deps.db, c.var.actor!, id, {
    state: one(f, 'state') === 'closed' ? 'closed' : 'open',
  })
  return redirect(c, `/investigations/${id}`)
}
