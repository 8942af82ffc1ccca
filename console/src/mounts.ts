import type { Hono } from 'hono'
import { createMiddleware } from 'hono/factory'
import { APPLIANCE_JOBS } from '../../appliance/src/jobs/all-jobs.ts'
import type { AppEnv } from '../../core/src/api/env.ts'
import { guard, PASSWORD_PAGE } from '../../core/src/api/middleware/auth.ts'
import { ALL_JOBS } from '../../core/src/jobs/all-jobs.ts'
import { accountPassword, accountPasswordForm } from './analyst/account-password.ts'
import { home } from './analyst/home.ts'
import { sessionLogin, sessionLoginForm } from './analyst/session-login.ts'
import { sessionLogout } from './analyst/session-logout.ts'
import { mountAnalystRoutes } from './analyst-routes.ts'
import { mountAssets } from './assets.ts'
import { isHtmx, redirect } from './htmx.ts'
import { consoleHome } from './management/console-home.ts'
import { mountConsolePages } from './management/routes.ts'
import { CONSOLE_NAV } from './management/view.ts'
import { errorPage, type NavItem } from './views/layout.ts'

/** Pages render errors as HTML; the JSON API under /api and intake paths keep JSON. */
const htmlErrors = (options: { area?: string; nav?: NavItem[] }) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const p = c.req.path
    const isPage =
      !p.startsWith('/api/') &&
      !p.startsWith('/threat/') &&
      !p.startsWith('/feeds/') &&
      p !== '/healthz' &&
      p !== '/readyz'
    if (isPage) {
      // An expired session: htmx requests go back to sign-in as a whole page; a plain form post
      // gets a 401 page that says so (GETs are redirected to sign-in by the guard itself).
      c.set('renderError', (status, message) => {
        if (status !== 401) return errorPage(c, status, message, options)
        if (isHtmx(c)) return redirect(c, c.req.method === 'GET' ? `/login?next=${encodeURIComponent(p)}` : '/login')
        return errorPage(
          c,
          401,
          'Your session has ended. Sign in again to continue (your last change was not saved).',
          options,
        )
      })
    }
    await next()
    if (!isPage) return
    // htmx would swap a followed 303 to /login (or to the forced password change) into the
    // fragment: make it a full-page HX-Redirect.
    const to = c.res.headers.get('location')
    if (isHtmx(c) && c.res.status === 303 && (to?.startsWith('/login') || to === PASSWORD_PAGE)) c.res = redirect(c, to)
    // Unknown page paths get the HTML 404 page instead of the JSON one.
    if (c.res.status === 404 && c.res.headers.get('content-type')?.startsWith('application/json'))
      c.res = await errorPage(c, 404, 'not found', options)
  })

/**
 * Defence in depth for the pages of both web ports (analyst UI and management console, whose
 * restore/rotate forms must not be clickjacked): scripts and styles only from Clawback itself, no
 * plugins, no framing. Escaping is still what keeps untrusted text inert; this catches mistakes.
 */
const securityHeaders = createMiddleware<AppEnv>(async (c, next) => {
  await next()
  if (!c.res.headers.get('content-type')?.startsWith('text/html')) return
  c.res.headers.set(
    'Content-Security-Policy',
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  )
  c.res.headers.set('X-Frame-Options', 'DENY')
  c.res.headers.set('X-Content-Type-Options', 'nosniff')
  c.res.headers.set('Referrer-Policy', 'same-origin')
})

/** Sign-in, sign-out and own-password pages, shared by the analyst UI and the management console. */
const mountSession = (app: Hono<AppEnv>, area?: string) => {
  app.get('/login', guard({ auth: 'public' }), sessionLoginForm(area))
  app.post('/login', guard({ auth: 'public' }), sessionLogin(area))
  // the only pages a session that must change its password can reach (guard() sends it here)
  const open = { auth: 'actor', ui: true, beforePasswordChange: true } as const
  app.post('/logout', guard(open), sessionLogout)
  app.get(PASSWORD_PAGE, guard({ ...open, session: true }), accountPasswordForm)
  app.post(PASSWORD_PAGE, guard({ ...open, session: true }), accountPassword)
}

/** The pages console/ adds to each web role, and every job of the process (core's and appliance/'s). */
export const mounts = {
  jobs: [...ALL_JOBS, ...APPLIANCE_JOBS],
  api: (app: Hono<AppEnv>) => {
    app.use('*', securityHeaders) // outermost: also covers the HTML error pages htmlErrors makes
    app.use('*', htmlErrors({}))
    mountAssets(app)
    mountSession(app)
    app.get('/', guard({ auth: 'actor', ui: true }), home)
    mountAnalystRoutes(app)
  },
  console: (app: Hono<AppEnv>) => {
    app.use('*', securityHeaders)
    app.use('*', htmlErrors({ area: 'Management console', nav: CONSOLE_NAV }))
    mountAssets(app)
    mountSession(app, 'management console')
    app.get('/', guard({ auth: 'actor', ui: true, permission: 'system.manage' }), consoleHome)
    mountConsolePages(app)
  },
}
