import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { AppError } from '../../../core/src/errors.ts'
import { ADMIN_SECTIONS } from '../views/admin.ts'

/** GET /admin: the first administration section the actor may use. */
export const adminHome = (c: Context<AppEnv>) => {
  const first = ADMIN_SECTIONS.find((s) => c.var.actor!.permissions.has(s.permission))
  if (!first) throw new AppError('FORBIDDEN', 'you have no administration rights')
  return c.redirect(first.href, 303)
}
