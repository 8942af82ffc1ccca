import type { Context } from 'hono'
import { html } from 'hono/html'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { page } from '../views/layout.ts'
import { dashboardShow } from './dashboard-show.ts'

/** GET /: the dashboard for those who may read incidents; otherwise a start page pointing where they may go. */
export const home = (c: Context<AppEnv>) => {
  const actor = c.var.actor!
  if (actor.permissions.has('incidents.read')) return dashboardShow(c)
  const isAdmin = [...actor.permissions].some((p) => p.endsWith('.manage') || p === 'audit.read')
  return page(
    c,
    'Start',
    html`<section class="card narrow"><h1>Welcome, ${c.var.session?.username ?? actor.label}</h1>
${isAdmin ? html`<p><a href="/admin">Go to administration</a></p>` : html`<p>Your account has no permissions yet. Ask an administrator to add you to a team.</p>`}</section>`,
  )
}
