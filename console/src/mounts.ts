import type { Hono } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../../core/src/api/env.ts'
import { ALL_JOBS } from '../../core/src/jobs/all-jobs.ts'
import { APPLIANCE_JOBS } from '../../appliance/src/jobs/backup-jobs.ts'
import { guard } from '../../core/src/api/middleware/auth.ts'
import { mountAssets } from './assets.ts'
import { consoleHome } from './console-pages/console-home.ts'
import { mountConsolePages } from './console-pages/routes.ts'
import { CONSOLE_NAV } from './console-pages/view.ts'
import { accountPassword, accountPasswordForm } from './handlers/account-password.ts'
import { home } from './handlers/home.ts'
import { sessionLogin, sessionLoginForm } from './handlers/session-login.ts'
import { sessionLogout } from './handlers/session-logout.ts'
import { errorPage, type NavItem } from './views/layout.ts'

/** Pages render errors as HTML; the JSON API under /api and intake paths keep JSON. */
const htmlErrors = (options: { area?: string; nav?: NavItem[] }) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const p = c.req.path
    if (
      !p.startsWith('/api/') &&
      !p.startsWith('/threat/') &&
      !p.startsWith('/feeds/') &&
      p !== '/healthz' &&
      p !== '/readyz'
    ) {
      c.set('renderError', (status, message) => errorPage(c, status, message, options))
    }
    await next()
  })

/** Sign-in, sign-out and own-password pages, shared by the analyst UI and the management console. */
const mountSession = (app: Hono<AppEnv>, area?: string) => {
  app.get('/login', guard({ auth: 'public' }), sessionLoginForm(area))
  app.post('/login', guard({ auth: 'public' }), sessionLogin(area))
  app.post('/logout', guard({ auth: 'actor', ui: true }), sessionLogout)
  app.get('/account/password', guard({ auth: 'actor', ui: true }), accountPasswordForm)
  app.post('/account/password', guard({ auth: 'actor', ui: true }), accountPassword)
}

/** The pages console/ adds to each web role, and every job of the process (core's and appliance/'s). */
export const mounts = {
  jobs: [...ALL_JOBS, ...APPLIANCE_JOBS],
  api: (app: Hono<AppEnv>) => {
    app.use('*', htmlErrors({}))
    mountAssets(app)
    mountSession(app)
    app.get('/', guard({ auth: 'actor', ui: true }), home)
  },
  console: (app: Hono<AppEnv>) => {
    app.use('*', htmlErrors({ area: 'Management console', nav: CONSOLE_NAV }))
    mountAssets(app)
    mountSession(app, 'management console')
    app.get('/', guard({ auth: 'actor', ui: true, permission: 'system.manage' }), consoleHome)
    mountConsolePages(app)
  },
}
