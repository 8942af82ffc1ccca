import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { updateSource } from '../../../core/src/domain/sources/update-source.ts'
import { checked, formErrors, idParam, one, readForm } from '../forms.ts'
import { redirect } from '../htmx.ts'
import { sourcePage } from './source-show.ts'

/** POST /sources/:id: name, enabled (disable = refuse alerts), optional token rotation; audited in the domain. */
export const sourceUpdate = async (c: Context<AppEnv>) => {
  const id = idParam(c)
  const f = await readForm(c)
  try {
    await updateSource(c.var.deps.db, c.var.deps.keyring, c.var.actor!, id, {
      name: one(f, 'name'),
      isEnabled: checked(f, 'isEnabled'),
      rotateToken: checked(f, 'rotate'),
    })
    return redirect(c, `/sources/${id}`)
  } catch (err) {
    return sourcePage(c, id, { errors: formErrors(err), status: 422 })
  }
}
