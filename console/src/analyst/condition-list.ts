import type { Context } from 'hono'
import { html } from 'hono/html'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { listMatchConditions } from '../../../core/src/domain/matching/list-match-conditions.ts'
import { getSource } from '../../../core/src/domain/sources/get-source.ts'
import { csrfField, idParam } from '../forms.ts'
import { page } from '../views/layout.ts'

/** GET /sources/:id/conditions — the source's match conditions in evaluation order. */
export const conditionList = async (c: Context<AppEnv>) => {
  const id = idParam(c)
  const { db, keyring } = c.var.deps
  const source = await getSource(db, keyring, c.var.actor!, id, { withUrl: false, publicUrl: '' })
  const conditions = await listMatchConditions(db, c.var.actor!, id)
  const canWrite = c.var.actor!.permissions.has('sources.write')
  return page(
    c,
    `${source.name}: match conditions`,
    html`<p class="crumbs"><a href="/sources">Sources</a> › <a href="/sources/${id}">${source.name}</a> › Match conditions</p>
<h1>Match conditions</h1>
<p class="muted">Evaluated in this order for every alert of the source, and again when an incident's fields change; the first match wins unless a condition continues.</p>
<table class="dense"><thead><tr><th>#</th><th>Name</th><th>Responses</th><th>Mode</th><th>State</th><th></th></tr></thead><tbody>
${conditions.map(
  (m) => html`<tr><td>${m.position}</td><td><a href="/match-conditions/${m.id}">${m.name}</a></td>
  <td>${m.responses.map((r) => r.type).join(', ') || html`<span class="muted">none</span>`}</td>
  <td>${m.isAutomatic ? 'automatic' : 'buttons'}${m.continueAfterMatch ? ' · continues' : ''}</td>
  <td>${m.isEnabled ? html`<span class="badge ok">enabled</span>` : html`<span class="badge">disabled</span>`}</td>
  <td>${canWrite ? html`<form method="post" action="/match-conditions/${m.id}/delete" class="inline">${csrfField(c)}<button data-confirm="Delete this condition?">Delete</button></form>` : ''}</td></tr>`,
)}
${conditions.length ? '' : html`<tr><td colspan="6" class="empty">No match conditions yet.</td></tr>`}
</tbody></table>
${canWrite ? html`<p><a class="button primary" href="/sources/${id}/conditions/new">New condition</a></p>` : ''}`,
  )
}
