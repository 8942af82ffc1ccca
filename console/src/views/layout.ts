import type { Context } from 'hono'
import { html, raw } from 'hono/html'
import type { HtmlEscapedString } from 'hono/utils/html'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { countUnread } from '../../../core/src/domain/notifications/count-unread-notifications.ts'
import type { Actor } from '../../../core/src/policy/actor.ts'
import { isHtmx } from '../htmx.ts'

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>
/** A navigation entry, shown when the actor holds `permission` (or any of them, for a list). */
export type NavItem = { href: string; label: string; permission?: string | string[]; key?: string }

/**
 * Analyst UI navigation; later pages add entries here (one place), in this order: Dashboard,
 * Incidents, Investigations, Lists, Sources, Admin. `key` is the Alt+key shortcut.
 */
export const ANALYST_NAV: NavItem[] = [
  { href: '/dashboard', label: 'Dashboard', permission: 'incidents.read', key: 'd' },
  { href: '/incidents', label: 'Incidents', permission: 'incidents.read', key: 'i' },
  { href: '/investigations', label: 'Investigations', permission: 'investigations.read', key: 'v' },
  { href: '/lists', label: 'Lists', permission: 'lists.read', key: 'l' },
  { href: '/sources', label: 'Sources', permission: 'sources.read', key: 's' },
  {
    href: '/admin',
    label: 'Admin',
    permission: ['users.manage', 'teams.manage', 'api_keys.manage', 'fields.manage', 'audit.read'],
    key: 'a',
  },
]

/** The analyst top bar's link to /notifications with the unread count (one indexed count query). */
const notificationsLink = async (c: Context<AppEnv>, actor: Actor) => {
  const n = await countUnread(c.var.deps.db, actor)
  return html`<a href="/notifications" class="notifications" title="Notifications"${c.req.path === '/notifications' ? raw(' aria-current="page"') : ''}>Notifications${n ? html` <span class="badge" id="unread-badge">${n}</span>` : ''}</a>`
}

const allowed = (actor: { permissions: ReadonlySet<string> } | undefined, p: NavItem['permission']) =>
  !p || (Array.isArray(p) ? p.some((x) => actor?.permissions.has(x)) : Boolean(actor?.permissions.has(p)))

/**
 * The page shell. Everything interpolated through `html` is escaped; `raw` is used only for our
 * own constant markup. The CSRF token rides in a meta tag and in htmx's request headers.
 */
export const layout = (
  c: Context<AppEnv>,
  title: string,
  body: Html,
  options: { nav?: NavItem[]; area?: string } = {},
) => {
  const session = c.var.session
  const actor = c.var.actor
  const nav = (options.nav ?? ANALYST_NAV).filter((n) => allowed(actor, n.permission))
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Clawback${options.area ? ` ${options.area}` : ''}</title>
${session ? html`<meta name="csrf-token" content="${session.csrfToken}">` : ''}
<meta name="htmx-config" content='{"includeIndicatorStyles":false,"allowEval":false,"responseHandling":[{"code":"204","swap":false},{"code":"[23]..","swap":true},{"code":"422","swap":true},{"code":"[45]..","swap":false,"error":true},{"code":"...","swap":false}]}'>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/app.css">
<script src="/assets/htmx.min.js" defer></script>
<script src="/assets/app.js" defer></script>
</head>
<body${session ? raw(` hx-headers='{"X-CSRF-Token": "${session.csrfToken.replace(/[^A-Za-z0-9_-]/g, '')}"}'`) : ''}>
<header class="top">
  <a class="brand" href="/">Clawback${options.area ? html` <small>${options.area}</small>` : ''}</a>
  ${
    session
      ? html`<nav>${nav.map((n) => html`<a href="${n.href}"${c.req.path.startsWith(n.href) || (n.href === '/dashboard' && c.req.path === '/') ? raw(' aria-current="page"') : ''}${n.key ? html` accesskey="${n.key}"` : ''}>${n.label}</a>`)}</nav>
  <div class="me">${options.area || !actor ? '' : notificationsLink(c, actor)} <a href="/account/password">${session.username}</a>
    <form method="post" action="/logout" class="inline"><input type="hidden" name="_csrf" value="${session.csrfToken}"><button class="link">Sign out</button></form></div>`
      : ''
  }
</header>
<main>${body}</main>
</body>
</html>`
}

/** A full page, or only its body for an htmx request (Vary: HX-Request either way). */
export const page = (
  c: Context<AppEnv>,
  title: string,
  body: Html,
  status = 200,
  options: { nav?: NavItem[]; area?: string } = {},
) => {
  c.header('Vary', 'HX-Request')
  return c.html(isHtmx(c) ? body : layout(c, title, body, options), status as 200)
}

/** Error page that never says whether a hidden object exists: 404 and 403 read the same way to outsiders. */
export const errorPage = (
  c: Context<AppEnv>,
  status: number,
  message: string,
  options: { area?: string; nav?: NavItem[] } = {},
) => {
  const title =
    status === 404 ? 'Not found' : status === 403 ? 'Not allowed' : status === 401 ? 'Sign in required' : 'Error'
  const text = status === 404 ? 'There is nothing here, or you do not have access to it.' : message
  return c.html(
    layout(
      c,
      title,
      html`<section class="card narrow"><h1>${title}</h1><p>${text}</p><p><a href="/">Back to start</a></p></section>`,
      options,
    ),
    status as 404,
  )
}
