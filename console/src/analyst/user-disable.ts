import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { setUserDisabled } from '../../../core/src/domain/users/set-user-disabled.ts'
import { formErrors, idParam, one, readForm } from '../forms.ts'
import { redirect } from '../htmx.ts'
import { userPage } from './user-edit.ts'

/** POST /admin/users/:id/disable (disabled=true|false): disabling ends the user's sessions at once. */
export const userDisable = async (c: Context<AppEnv>) => {
  const id = idParam(c)
  const f = await readForm(c)
  try {
    await setUserDisabled(c.var.deps.db, c.var.actor!, { userId: id, disabled: one(f, 'disabled') !== 'false' })
    return redirect(c, `/admin/users/${id}?saved=1`)
  } catch (err) {
    return userPage(c, id, { disabled: Object.values(formErrors(err))[0]! }, 422)
  }
}
