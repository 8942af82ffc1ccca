import type { Context } from 'hono'
import { html } from 'hono/html'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { CONSOLE_NAV, consolePage } from './view.ts'

/** GET / on the console: the sections (after a forced password change). */
export const consoleHome = (c: Context<AppEnv>) => {
  if (c.var.session?.mustChangePassword) return c.redirect('/account/password', 303)
  return consolePage(
    c,
    'Management console',
    html`<section class="card"><h1>Management console</h1><ul>${CONSOLE_NAV.map((n) => html`<li><a href="${n.href}">${n.label}</a></li>`)}</ul></section>`,
  )
}
