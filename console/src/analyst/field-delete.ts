import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { deleteField } from '../../../core/src/domain/fields/delete-field.ts'
import { formErrors, idParam } from '../forms.ts'
import { redirect } from '../htmx.ts'
import { fieldPage } from './field-list.ts'

/** POST /admin/fields/:id/delete: removes a custom field and its values (audited). */
export const fieldDelete = async (c: Context<AppEnv>) => {
  const id = idParam(c)
  try {
    await deleteField(c.var.deps.db, c.var.actor!, id)
    return redirect(c, '/admin/fields?saved=1')
  } catch (err) {
    return fieldPage(c, { editing: { id, errors: formErrors(err) }, status: 422 })
  }
}
