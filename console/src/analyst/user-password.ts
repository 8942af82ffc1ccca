import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { listUsers } from '../../../core/src/domain/users/list-users.ts'
import { resetPassword } from '../../../core/src/domain/users/reset-password.ts'
import { AppError } from '../../../core/src/errors.ts'
import { checked, formErrors, idParam, readForm } from '../forms.ts'
import { redirect } from '../htmx.ts'
import { userPage } from './user-edit.ts'

/** POST /admin/users/:id/password: an administrator sets a new password; the user's sessions end. */
export const userPassword = async (c: Context<AppEnv>) => {
  const id = idParam(c)
  const f = await readForm(c)
  const user = (await listUsers(c.var.deps.db, c.var.actor!)).find((u) => u.id === id)
  if (!user) throw new AppError('NOT_FOUND', 'user not found')
  try {
    await resetPassword(c.var.deps.db, c.var.actor!, {
      username: user.username,
      password: f.password?.[0] ?? '',
      mustChangePassword: checked(f, 'mustChange'),
    })
    return redirect(c, `/admin/users/${id}?saved=1`)
  } catch (err) {
    return userPage(c, id, formErrors(err), 422)
  }
}
