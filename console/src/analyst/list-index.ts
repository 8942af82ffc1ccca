import type { Context } from 'hono'
import { html } from 'hono/html'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { listLists } from '../../../core/src/domain/lists/list-lists.ts'
import { LIST_TYPES } from '../../../core/src/domain/lists/validate-member.ts'
import { csrfField, type FormErrors, fieldError, formError, when } from '../forms.ts'
import { page } from '../views/layout.ts'

/** The lists page: every list and the create form. */
export const listPageIndex = async (
  c: Context<AppEnv>,
  v = { name: '', type: 'ip', description: '' },
  errors: FormErrors = {},
  status = 200,
) => {
  const rows = await listLists(c.var.deps.db, c.var.actor!)
  return page(
    c,
    'Lists',
    html`<div class="toolbar"><h1>Lists</h1></div>
<div class="grid side">
<section class="card flush"><table class="dense"><thead><tr><th>Name</th><th>Type</th><th>Description</th><th>Updated</th></tr></thead><tbody>${rows.map(
      (l) =>
        html`<tr><td><a href="/lists/${l.id}">${l.name}</a></td><td><span class="badge">${l.type}</span></td><td>${l.description}</td><td class="muted">${when(l.updatedAt)}</td></tr>`,
    )}</tbody></table>${rows.length === 0 ? html`<p class="empty pad">No lists yet.</p>` : ''}</section>
${
  c.var.actor!.permissions.has('lists.write')
    ? html`<section class="card"><h2>New list</h2>${formError(errors)}
  <form method="post" action="/lists">${csrfField(c)}
    <label>Name <input name="name" value="${v.name}" required maxlength="200">${fieldError(errors, 'name')}</label>
    <label>Type <select name="type">${LIST_TYPES.map((t) => html`<option${t === v.type ? html` selected` : ''}>${t}</option>`)}</select>${fieldError(errors, 'type')}</label>
    <label>Description <input name="description" value="${v.description}" maxlength="1000"></label>
    <button class="primary">Create list</button>
  </form></section>`
    : ''
}
</div>`,
    status,
  )
}

/** GET /lists */
export const listIndex = (c: Context<AppEnv>) => listPageIndex(c)
