import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { addComment } from '../../../core/src/domain/incidents/add-comment.ts'
import { formErrors, idParam, readForm } from '../forms.ts'
import { redirect } from '../htmx.ts'
import { incidentPage } from './incident-show.ts'

/** POST /incidents/:id/comments (comment). */
export const incidentComment = async (c: Context<AppEnv>) => {
  const id = idParam(c)
  const f = await readForm(c)
  try {
    await addComment(c.var.deps.db, c.var.actor!, id, { summary: (f.comment?.[0] ?? '').trim() })
    return redirect(c, `/incidents/${id}`)
  } catch (err) {
    return incidentPage(c, id, formErrors(err), 422)
  }
}
