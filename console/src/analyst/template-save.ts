import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { saveNotificationTemplate } from '../../../core/src/domain/notification-templates/save-notification-template.ts'
import { formErrors, idParam, readForm } from '../forms.ts'
import { redirect } from '../htmx.ts'
import { checkDraft, draftFromForm } from '../views/template-form.ts'
import { findTemplate, templatePage } from './template-edit.ts'

const save = async (c: Context<AppEnv>, id: number | undefined) => {
  const isBuiltin = id ? (await findTemplate(c, id)).isBuiltin : false
  const draft = draftFromForm(await readForm(c))
  let errors = checkDraft(draft)
  if (Object.keys(errors).length === 0) {
    try {
      const row = await saveNotificationTemplate(c.var.deps.db, c.var.actor!, id ?? null, draft)
      return redirect(c, `/responses/templates/${row.id}?saved=1`)
    } catch (err) {
      errors = formErrors(err) // CONFLICT "name: …" beside the name
    }
  }
  return templatePage(c, id, draft, { errors, status: 422, isBuiltin })
}

/** POST /responses/templates — create; the editor again with `?saved=1`, or 422 with the fields named. */
export const templateCreate = (c: Context<AppEnv>) => save(c, undefined)

/** POST /responses/templates/:id — replace name, subject and body (audited by the domain). */
export const templateUpdate = (c: Context<AppEnv>) => save(c, idParam(c))
