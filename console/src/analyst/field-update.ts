import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { updateField } from '../../../core/src/domain/fields/update-field.ts'
import { formErrors, idParam, readForm } from '../forms.ts'
import { redirect } from '../htmx.ts'
import { lines } from './field-create.ts'
import { fieldPage } from './field-list.ts'

/** POST /admin/fields/:id: renames a custom field and/or replaces a select's options (audited). */
export const fieldUpdate = async (c: Context<AppEnv>) => {
  const id = idParam(c)
  const f = await readForm(c)
  const name = f.name?.[0]
  const options = f.options?.[0]
  try {
    await updateField(c.var.deps.db, c.var.actor!, {
      fieldId: id,
      name,
      options: options === undefined ? undefined : lines(options),
    })
    return redirect(c, '/admin/fields?saved=1')
  } catch (err) {
    return fieldPage(c, {
      editing: { id, errors: formErrors(err), values: { name: name ?? '', kind: '', options: options ?? '' } },
      status: 422,
    })
  }
}
