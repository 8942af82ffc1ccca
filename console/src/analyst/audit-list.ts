import type { Context } from 'hono'
import { html } from 'hono/html'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { type AuditFilter, listAudit } from '../../../core/src/domain/audit/list-audit.ts'
import { when } from '../forms.ts'
import { adminPage } from '../views/admin.ts'

const PAGE = 50
const DATE = /^\d{4}-\d{2}-\d{2}$/

/** A JSON value as compact text for the table (escaped by the template). */
const brief = (v: unknown) => (v === null || v === undefined ? '' : JSON.stringify(v))

/**
 * GET /admin/audit: the audit log, newest first, filtered by action prefix, actor, object and a
 * date range (UTC days, inclusive), keyset-paged by id ("Older" keeps the filters). The chain
 * verification runs in a second request so a long log never delays the page.
 */
export const auditList = async (c: Context<AppEnv>) => {
  const q = c.req.query()
  const v = {
    action: q.action?.trim() ?? '',
    actor: q.actor?.trim() ?? '',
    objectType: q.objectType?.trim() ?? '',
    objectId: q.objectId?.trim() ?? '',
    from: q.from ?? '',
    to: q.to ?? '',
  }
  const filter: AuditFilter = { limit: PAGE + 1 }
  if (v.action) filter.action = v.action.slice(0, 100)
  if (v.actor) filter.actor = v.actor.slice(0, 200)
  if (v.objectType) filter.objectType = v.objectType.slice(0, 50)
  if (v.objectId) filter.objectId = v.objectId.slice(0, 50)
  if (DATE.test(v.from)) filter.since = new Date(`${v.from}T00:00:00Z`)
  if (DATE.test(v.to)) filter.until = new Date(new Date(`${v.to}T00:00:00Z`).getTime() + 86_400_000)
  if (q.before && /^\d{1,15}$/.test(q.before)) filter.before = Number(q.before)
  const rows = await listAudit(c.var.deps.db, c.var.actor!, filter)
  const more = rows.length > PAGE
  const shown = rows.slice(0, PAGE)
  const keep = new URLSearchParams(Object.entries(v).filter(([, x]) => x !== ''))
  const older = more
    ? `/admin/audit?${new URLSearchParams([...keep, ['before', String(shown.at(-1)!.id)]])}`
    : undefined
  return adminPage(
    c,
    'Audit log',
    html`<section class="card">
  <div class="toolbar"><h1>Audit log</h1>
    <div id="audit-verify" hx-get="/admin/audit/verify" hx-trigger="load" hx-swap="outerHTML"><span class="badge">checking the hash chain…</span></div></div>
  <form method="get" action="/admin/audit" class="filters" role="search">
    <label>Action <input name="action" value="${v.action}" placeholder="e.g. team." data-hotkey="/"></label>
    <label>Actor <input name="actor" value="${v.actor}" placeholder="username"></label>
    <label>Object type <input name="objectType" value="${v.objectType}" placeholder="user, team, api_key…"></label>
    <label>Object id <input name="objectId" value="${v.objectId}"></label>
    <label>From <input type="date" name="from" value="${v.from}"></label>
    <label>To <input type="date" name="to" value="${v.to}"></label>
    <div class="actions"><button class="primary">Filter</button> <a href="/admin/audit">Reset</a></div>
  </form>
  <table class="dense audit">
    <thead><tr><th>#</th><th>When (UTC)</th><th>Actor</th><th>Action</th><th>Object</th><th>Before</th><th>After</th><th>IP</th></tr></thead>
    <tbody>${shown.map(
      (r) => html`<tr>
      <td class="muted">${r.id}</td><td class="nowrap">${when(r.at)}</td>
      <td><a href="/admin/audit?actor=${encodeURIComponent(r.actorLabel)}">${r.actorLabel}</a></td>
      <td class="mono"><a href="/admin/audit?action=${encodeURIComponent(r.action)}">${r.action}</a></td>
      <td class="mono">${r.objectType ? html`<a href="/admin/audit?objectType=${encodeURIComponent(r.objectType)}&amp;objectId=${encodeURIComponent(r.objectId ?? '')}">${r.objectType} ${r.objectId ?? ''}</a>` : ''}</td>
      <td class="mono small json">${brief(r.before)}</td><td class="mono small json">${brief(r.after)}</td>
      <td class="mono small">${r.ip ?? ''}</td>
    </tr>`,
    )}</tbody>
  </table>
  ${shown.length === 0 ? html`<p class="empty">No records match.</p>` : ''}
  <p class="pager">${filter.before ? html`<a href="/admin/audit?${keep.toString()}">« Newest</a>` : ''} ${older ? html`<a href="${older}" rel="next" data-hotkey="j">Older »</a>` : ''}</p>
</section>`,
  )
}
