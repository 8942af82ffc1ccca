import type { Context } from 'hono'
import { html } from 'hono/html'
import type { OpStatus } from '../../../appliance/src/ops/progress.ts'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { AppError } from '../../../core/src/errors.ts'
import { type Html, type NavItem, page } from '../views/layout.ts'

/** Management console navigation (every entry needs system.manage). */
export const CONSOLE_NAV: NavItem[] = [
  { href: '/system', label: 'System', permission: 'system.manage' },
  { href: '/host', label: 'Host settings', permission: 'system.manage' },
  { href: '/backups', label: 'Backups', permission: 'system.manage' },
  { href: '/secret', label: 'Master secret', permission: 'system.manage' },
  { href: '/upgrade', label: 'Upgrade', permission: 'system.manage' },
  { href: '/tls', label: 'TLS', permission: 'system.manage' },
  { href: '/agent', label: 'Agents', permission: 'system.manage' },
  { href: '/connections', label: 'Connections', permission: 'system.manage' },
]

export const consolePage = (c: Context<AppEnv>, title: string, body: Html, status = 200) =>
  page(c, title, body, status, { nav: CONSOLE_NAV, area: 'Management console' })

export const csrfField = (c: Context<AppEnv>) =>
  html`<input type="hidden" name="_csrf" value="${c.var.session?.csrfToken ?? ''}">`

export const bytes = (n: number) => {
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let i = 0
  let v = n
  while (v >= 1024 && i < u.length - 1) {
    v /= 1024
    i++
  }
  return `${v.toFixed(i ? 1 : 0)} ${u[i]}`
}

export const notice = (text?: string) => (text ? html`<p class="notice" role="status">${text}</p>` : '')
export const errorBox = (text?: string) => (text ? html`<p class="error" role="alert">${text}</p>` : '')

/** An AppError's message is safe to show; anything else is rethrown to the generic error page. */
export const userMessage = (err: unknown) => {
  if (err instanceof AppError && err.code !== 'INTERNAL') return err.message
  throw err
}

/** A long operation's progress; polls itself every second while it runs (htmx), stops when done. */
export const opFragment = (op: OpStatus | undefined, id: string) => {
  if (!op)
    return html`<div class="op" id="op-${id}"><p class="muted">Operation ${id} is queued…</p><div hx-get="/ops/${id}" hx-trigger="every 1s" hx-target="closest .op" hx-swap="outerHTML"></div></div>`
  const isRunning = op.state === 'running' || op.state === 'queued'
  return html`<div class="op" id="op-${op.id}" data-state="${op.state}"${isRunning ? html` hx-get="/ops/${op.id}" hx-trigger="every 1s" hx-swap="outerHTML"` : ''}>
  <p><strong>${op.kind}</strong> <span class="badge">${op.state}</span> ${op.step}</p>
  <progress max="100" value="${op.percent}">${op.percent}%</progress> <span>${op.percent}%</span>
  ${op.error ? errorBox(op.error) : ''}
  ${
    op.state === 'succeeded' && op.result
      ? html`<p class="muted mono">${Object.entries(op.result)
          .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`)
          .join(' · ')}</p>`
      : ''
  }
</div>`
}
