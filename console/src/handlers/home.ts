import type { Context } from 'hono'
import { html } from 'hono/html'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { page } from '../views/layout.ts'

/** GET /: the analyst start page (the dashboard lands here). */
export const home = (c: Context<AppEnv>) => {
  if (c.var.session?.mustChangePassword) return c.redirect('/account/password', 303)
  return page(
    c,
    'Start',
    html`<section class="card"><h1>Welcome, ${c.var.session?.username ?? c.var.actor?.label}</h1><p>Signed in.</p></section>`,
  )
}
