import type { Context } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { html } from 'hono/html'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { sessionCookieName } from '../../../core/src/api/middleware/auth.ts'
import { clientIp } from '../../../core/src/api/middleware/context.ts'
import { newToken, safeEqual } from '../../../core/src/auth/tokens.ts'
import { signIn } from '../../../core/src/domain/sessions/sign-in.ts'
import { AppError } from '../../../core/src/errors.ts'
import { page } from '../views/layout.ts'

const LOGIN_CSRF = 'clawback_login_csrf'

/** Only same-site relative paths: never redirect to another origin after sign-in. */
const safeNext = (next: unknown) => (typeof next === 'string' && /^\/(?!\/)[\w\-./?=&%]*$/.test(next) ? next : '/')

const form = (csrf: string, values: { username?: string; next?: string }, error?: string, area?: string) => html`
<section class="card narrow login">
  <h1>Sign in${area ? html` to the ${area}` : ''}</h1>
  ${error ? html`<p class="error" role="alert">${error}</p>` : ''}
  <form method="post" action="/login">
    <input type="hidden" name="_csrf" value="${csrf}">
    <input type="hidden" name="next" value="${values.next ?? '/'}">
    <label>Username <input name="username" autocomplete="username" required autofocus value="${values.username ?? ''}"></label>
    <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
    <button class="primary">Sign in</button>
  </form>
</section>`

const cookieOptions = (c: Context<AppEnv>) => ({
  httpOnly: true,
  secure: c.var.deps.config.tls,
  sameSite: 'Lax' as const,
  path: '/',
})

/** GET /login: the form, with a pre-session CSRF token (double submit: cookie + field). */
export const sessionLoginForm = (area?: string) => (c: Context<AppEnv>) => {
  if (c.var.session) return c.redirect('/', 303)
  const csrf = newToken()
  setCookie(c, LOGIN_CSRF, csrf, { ...cookieOptions(c), maxAge: 3600 })
  return page(c, 'Sign in', form(csrf, { next: safeNext(c.req.query('next')) }, undefined, area), 200, { area })
}

/** POST /login: checks the CSRF pair, signs in (lockout and audit in the domain), sets the session cookie. */
export const sessionLogin = (area?: string) => async (c: Context<AppEnv>) => {
  const body = await c.req.parseBody()
  const username = String(body.username ?? '').slice(0, 200)
  const password = String(body.password ?? '')
  const next = safeNext(body.next)
  const cookieCsrf = getCookie(c, LOGIN_CSRF) ?? ''
  const fresh = newToken()
  const again = (status: number, message: string) => {
    setCookie(c, LOGIN_CSRF, fresh, { ...cookieOptions(c), maxAge: 3600 })
    return page(c, 'Sign in', form(fresh, { username, next }, message, area), status, { area })
  }
  if (!cookieCsrf || !safeEqual(String(body._csrf ?? ''), cookieCsrf))
    return again(403, 'Your sign-in form expired. Please try again.')
  const { config, db } = c.var.deps
  try {
    const s = await signIn(
      db,
      { username, password, ip: clientIp(c), userAgent: c.req.header('user-agent'), requestId: c.var.requestId },
      config,
    )
    deleteCookie(c, LOGIN_CSRF, { path: '/' })
    setCookie(c, sessionCookieName(config.tls), s.token, { ...cookieOptions(c), expires: s.expiresAt })
    return c.redirect(s.mustChangePassword ? '/account/password' : next, 303)
  } catch (err) {
    // signIn answers a locked account exactly like a wrong password (no username enumeration)
    if (err instanceof AppError && err.code === 'UNAUTHENTICATED') return again(401, err.message)
    throw err
  }
}
