import type { Context } from 'hono'
import { deleteCookie } from 'hono/cookie'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { sessionCookieName } from '../../../core/src/api/middleware/auth.ts'
import { endSession } from '../../../core/src/domain/sessions/end-session.ts'

/** POST /logout: ends the session server-side (not only the cookie). */
export const sessionLogout = async (c: Context<AppEnv>) => {
  if (c.var.session) await endSession(c.var.deps.db, c.var.actor!, c.var.session.idHash)
  deleteCookie(c, sessionCookieName(c.var.deps.config.tls), { path: '/', secure: c.var.deps.config.tls })
  return c.redirect('/login', 303)
}
