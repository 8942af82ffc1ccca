import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { deleteNotificationTemplate } from '../../../core/src/domain/notification-templates/delete-notification-template.ts'
import { formErrors, idParam } from '../forms.ts'
import { redirect } from '../htmx.ts'
import { findTemplate, templatePage } from './template-edit.ts'

/** POST /responses/templates/:id/delete (after the browser's confirmation); a built-in one stays (409). */
export const templateDelete = async (c: Context<AppEnv>) => {
  const id = idParam(c)
  try {
    await deleteNotificationTemplate(c.var.deps.db, c.var.actor!, id)
  } catch (err) {
    const errors = formErrors(err)
    const t = await findTemplate(c, id)
    return templatePage(c, id, t, { errors, status: 409, isBuiltin: t.isBuiltin })
  }
  return redirect(c, '/responses/templates')
}
