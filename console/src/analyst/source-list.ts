import type { Context } from 'hono'
import { html } from 'hono/html'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { SOURCE_TYPES } from '../../../core/src/domain/sources/create-source.ts'
import { listSources } from '../../../core/src/domain/sources/list-sources.ts'
import { csrfField, type FormErrors, fieldError, formError, when } from '../forms.ts'
import { page } from '../views/layout.ts'

/** The sources page: every source and the create form. */
export const sourcePageList = async (
  c: Context<AppEnv>,
  v = { name: '', type: 'json' },
  errors: FormErrors = {},
  status = 200,
) => {
  const rows = await listSources(c.var.deps.db, c.var.actor!)
  return page(
    c,
    'Sources',
    html`<div class="toolbar"><h1>Sources</h1><nav class="links"><a href="/responses/templates">Notification templates</a>${
      c.var.actor!.permissions.has('responses.run')
        ? html` · <a href="/responses/permissions">Response permissions</a>`
        : ''
    }</nav></div>
<div class="grid side">
<section class="card flush"><table class="dense"><thead><tr><th>Name</th><th>Type</th><th>State</th><th>Created</th></tr></thead><tbody>${rows.map(
      (s) =>
        html`<tr><td><a href="/sources/${s.id}">${s.name}</a></td><td><span class="badge">${s.type}</span></td><td>${s.isEnabled ? html`<span class="badge ok">enabled</span>` : html`<span class="badge bad">disabled</span>`}</td><td class="muted">${when(s.createdAt)}</td></tr>`,
    )}</tbody></table>${rows.length === 0 ? html`<p class="empty pad">No sources yet.</p>` : ''}</section>
${
  c.var.actor!.permissions.has('sources.write')
    ? html`<section class="card"><h2>New source</h2>${formError(errors)}
  <form method="post" action="/sources">${csrfField(c)}
    <label>Name <input name="name" value="${v.name}" required maxlength="200">${fieldError(errors, 'name')}</label>
    <label>Type <select name="type">${SOURCE_TYPES.map((t) => html`<option value="${t}"${t === v.type ? html` selected` : ''}>${t === 'json' ? 'JSON alerts (POST URL)' : 'CSV upload'}</option>`)}</select>${fieldError(errors, 'type')}</label>
    <button class="primary">Create source</button>
  </form></section>`
    : ''
}
</div>`,
    status,
  )
}

/** GET /sources */
export const sourceList = (c: Context<AppEnv>) => sourcePageList(c)
