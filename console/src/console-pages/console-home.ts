import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'

/** GET / on the console: the system page (after a forced password change). */
export const consoleHome = (c: Context<AppEnv>) =>
  c.redirect(c.var.session?.mustChangePassword ? '/account/password' : '/system', 303)
