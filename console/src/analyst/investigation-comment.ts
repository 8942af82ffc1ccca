import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { addInvestigationComment } from '../../../core/src/domain/investigations/add-investigation-comment.ts'
import { formErrors, idParam, readForm } from '../forms.ts'
import { redirect } from '../htmx.ts'
import { investigationPage } from './investigation-show.ts'

/** POST /investigations/:id/comments (comment). */
export const investigationComment = async (c: Context<AppEnv>) => {
  const id = idParam(c)
  const f = await readForm(c)
  try {
    await addInvestigationComment(c.var.deps.db, c.var.actor!, id, { summary: (f.comment?.[0] ?? '').trim() })
    return redirect(c, `/investigations/${id}`)
  } catch (err) {
    return investigationPage(c, id, formErrors(err), 422)
  }
}
