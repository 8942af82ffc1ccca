import { eq } from 'drizzle-orm'
import type { Context } from 'hono'
import { html } from 'hono/html'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { verifyPassword } from '../../../core/src/auth/password.ts'
import { users } from '../../../core/src/db/schema/index.ts'
import { resetPassword } from '../../../core/src/domain/users/reset-password.ts'
import { AppError } from '../../../core/src/errors.ts'
import { page } from '../views/layout.ts'

const form = (csrf: string, error?: string, notice?: string, forced?: boolean) => html`
<section class="card narrow">
  <h1>Change password</h1>
  ${forced ? html`<p class="notice">Choose a new password before you continue.</p>` : ''}
  ${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
  ${error ? html`<p class="error" role="alert">${error}</p>` : ''}
  <form method="post" action="/account/password">
    <input type="hidden" name="_csrf" value="${csrf}">
    <label>Current password <input name="current" type="password" autocomplete="current-password" required></label>
    <label>New password (12 characters or more) <input name="password" type="password" autocomplete="new-password" minlength="12" required></label>
    <label>Repeat new password <input name="confirm" type="password" autocomplete="new-password" minlength="12" required></label>
    <button class="primary">Change password</button>
  </form>
</section>`

// Both routes are guarded `session: true`: an API key never reaches them.
export const accountPasswordForm = (c: Context<AppEnv>) => {
  const session = c.var.session!
  return page(c, 'Change password', form(session.csrfToken, undefined, undefined, session.mustChangePassword))
}

/** POST /account/password: the user's own change; other sessions end, this one stays. */
export const accountPassword = async (c: Context<AppEnv>) => {
  const session = c.var.session!
  const body = await c.req.parseBody()
  const { db } = c.var.deps
  const [me] = await db.select().from(users).where(eq(users.id, c.var.actor!.userId!))
  const again = (msg: string) =>
    page(c, 'Change password', form(session.csrfToken, msg, undefined, session.mustChangePassword), 422)
  if (!(await verifyPassword(me?.passwordHash ?? null, String(body.current ?? ''))))
    return again('The current password is wrong.')
  if (body.password !== body.confirm) return again('The new passwords do not match.')
  try {
    await resetPassword(db, c.var.actor!, {
      username: me!.username,
      password: String(body.password ?? ''),
      keepSessionHash: session.idHash,
    })
  } catch (err) {
    if (err instanceof AppError && err.code === 'INVALID_REQUEST')
      return again(err.message.replace(/^password: /, 'The new password '))
    throw err
  }
  return c.redirect('/', 303)
}
