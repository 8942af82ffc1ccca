import type { Context } from 'hono'
import { html } from 'hono/html'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { CONSOLE_NAV, consolePage } from './view.ts'

/** GET / on the console: the sections (guard() sends a session that must change its password away first). */
export const consoleHome = (c: Context<AppEnv>) => {
  return consolePage(
    c,
    'Management console',
    html`<section class="card"><h1>Management console</h1><ul>${CONSOLE_NAV.map((n) => html`<li><a href="${n.href}">${n.label}</a></li>`)}</ul></section>`,
  )
}
