import type { Context } from 'hono'
import { html, raw } from 'hono/html'
import type { AppEnv } from '../../../core/src/api/env.ts'
import type { Permission } from '../../../core/src/policy/permissions.ts'
import { type Html, page } from './layout.ts'

/** The administration sections, each behind its permission. */
export const ADMIN_SECTIONS: { href: string; label: string; permission: Permission }[] = [
  { href: '/admin/users', label: 'Users', permission: 'users.manage' },
  { href: '/admin/teams', label: 'Teams', permission: 'teams.manage' },
  { href: '/admin/api-keys', label: 'API keys', permission: 'api_keys.manage' },
  { href: '/admin/fields', label: 'Incident fields', permission: 'fields.manage' },
  { href: '/admin/audit', label: 'Audit log', permission: 'audit.read' },
]

export const ADMIN_PERMISSIONS = ADMIN_SECTIONS.map((s) => s.permission)

/** An administration page: the section tabs the actor may use, then the body. */
export const adminPage = (c: Context<AppEnv>, title: string, body: Html, status = 200) => {
  const actor = c.var.actor!
  const tabs = ADMIN_SECTIONS.filter((s) => actor.permissions.has(s.permission))
  return page(
    c,
    title,
    html`<nav class="tabs" aria-label="Administration">${tabs.map(
      (s) =>
        html`<a href="${s.href}"${c.req.path.startsWith(s.href) ? raw(' aria-current="page"') : ''}>${s.label}</a>`,
    )}</nav>
${body}`,
    status,
  )
}
