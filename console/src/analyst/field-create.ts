import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { createField } from '../../../core/src/domain/fields/create-field.ts'
import { formErrors, one, readForm } from '../forms.ts'
import { redirect } from '../htmx.ts'
import { type FieldValues, fieldPage } from './field-list.ts'

export const lines = (s: string) => s.split(/\r?\n/)

/** POST /admin/fields: defines a custom incident field (audited). */
export const fieldCreate = async (c: Context<AppEnv>) => {
  const f = await readForm(c)
  const values: FieldValues = { name: one(f, 'name'), kind: one(f, 'kind'), options: f.options?.[0] ?? '' }
  try {
    await createField(c.var.deps.db, c.var.actor!, {
      name: values.name,
      kind: values.kind,
      options: lines(values.options),
    })
    return redirect(c, '/admin/fields?saved=1')
  } catch (err) {
    return fieldPage(c, { values, errors: formErrors(err), status: 422 })
  }
}
