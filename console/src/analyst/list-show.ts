import type { Context } from 'hono'
import { html } from 'hono/html'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { getList } from '../../../core/src/domain/lists/get-list.ts'
import { listMembersOf } from '../../../core/src/domain/lists/list-members.ts'
import { csrfField, type FormErrors, fieldError, formError, idParam, when } from '../forms.ts'
import { page } from '../views/layout.ts'

/**
 * The list page: members (value, description, expiry, origin incident when visible), add and
 * remove; the firewall feed URL only for administrators (system.manage), since it is a credential.
 */
export const listPage = async (
  c: Context<AppEnv>,
  id: number,
  errors: FormErrors = {},
  status = 200,
  v = { member: '', description: '', expires: '' },
) => {
  const actor = c.var.actor!
  const isAdmin = actor.permissions.has('system.manage')
  const canWrite = actor.permissions.has('lists.write')
  const origin = c.var.deps.config.publicUrl || new URL(c.req.url).origin
  const [list, { members }] = await Promise.all([
    getList(c.var.deps.db, c.var.deps.keyring, actor, id, { withFeedUrl: isAdmin, publicUrl: origin }),
    listMembersOf(c.var.deps.db, actor, id),
  ])
  return page(
    c,
    list.name,
    html`<p class="crumbs"><a href="/lists">Lists</a> › ${list.name}</p>
<div class="incident-head"><h1>${list.name}</h1><div class="badges"><span class="badge">${list.type}</span> <span class="count">${members.length} members</span></div></div>
${formError(errors)}
${list.feedUrl ? html`<section class="card"><h2>Feed URL</h2><p class="muted">Plain text, one value per line, for firewalls and proxies. It is a secret.</p><input class="mono copy" readonly value="${list.feedUrl}" aria-label="Feed URL" data-select-on-focus></section>` : ''}
<div class="grid side">
<section class="card flush"><table class="dense"><thead><tr><th>Value</th><th>Description</th><th>Expires</th><th>Origin</th><th>Added</th><th></th></tr></thead><tbody>${members.map(
      (
        m,
      ) => html`<tr><td class="mono">${m.value}</td><td>${m.description}</td><td class="muted">${when(m.expiresAt) || 'never'}</td>
      <td>${m.originIncidentId ? html`<a href="/incidents/${m.originIncidentId}">#${m.originIncidentId}</a>` : ''}</td><td class="muted">${when(m.createdAt)}</td>
      <td class="right">${canWrite ? html`<form method="post" action="/lists/${list.id}/members/${m.id}/delete" class="inline">${csrfField(c)}<button class="small danger">Remove</button></form>` : ''}</td></tr>`,
    )}</tbody></table>${members.length === 0 ? html`<p class="empty pad">No members.</p>` : ''}</section>
${
  canWrite
    ? html`<section class="card"><h2>Add a member</h2>
  <form method="post" action="/lists/${list.id}/members">${csrfField(c)}
    <label>${list.type} <input name="member" value="${v.member}" required maxlength="2000">${fieldError(errors, 'member')}</label>
    <label>Description <input name="description" value="${v.description}" maxlength="1000"></label>
    <label>Expires (optional) <input type="date" name="expires" value="${v.expires}">${fieldError(errors, 'expiration')}</label>
    <button class="primary">Add</button>
  </form></section>`
    : ''
}
</div>`,
    status,
  )
}

/** GET /lists/:id */
export const listShow = (c: Context<AppEnv>) => listPage(c, idParam(c))
