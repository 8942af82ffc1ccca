import type { Context } from 'hono'
import { html } from 'hono/html'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { listInvestigations } from '../../../core/src/domain/investigations/list-investigations.ts'
import { listTeams } from '../../../core/src/domain/teams/list-teams.ts'
import { csrfField, type FormErrors, fieldError, formError, when } from '../forms.ts'
import { page } from '../views/layout.ts'

export type InvestigationValues = { name: string; description: string; teamId: string; isPrivate: boolean }

/** The investigations page: the list (state filter, keyset paging) and the create form. */
export const investigationPageList = async (
  c: Context<AppEnv>,
  v: InvestigationValues = { name: '', description: '', teamId: '', isPrivate: false },
  errors: FormErrors = {},
  status = 200,
) => {
  const actor = c.var.actor!
  const state = ['open', 'closed'].includes(c.req.query('state') ?? '') ? c.req.query('state') : undefined
  const before = /^\d{1,15}$/.test(c.req.query('before') ?? '') ? Number(c.req.query('before')) : undefined
  const [{ items, nextBeforeId }, teams] = await Promise.all([
    listInvestigations(c.var.deps.db, actor, { state, beforeId: before }),
    listTeams(c.var.deps.db, actor),
  ])
  const teamName = new Map(teams.map((t) => [t.id, t.name]))
  const mine = teams.filter((t) => actor.teamIds.includes(t.id))
  return page(
    c,
    'Investigations',
    html`<div class="toolbar"><h1>Investigations</h1>
  <nav class="segmented" aria-label="State">${[
    ['', 'All'],
    ['open', 'Open'],
    ['closed', 'Closed'],
  ].map(
    ([k, l]) =>
      html`<a href="/investigations${k ? `?state=${k}` : ''}"${(state ?? '') === k ? html` aria-current="page"` : ''}>${l}</a>`,
  )}</nav></div>
<div class="grid side">
<section class="card flush">
  <table class="dense"><thead><tr><th>ID</th><th>Name</th><th>State</th><th>Team</th><th class="right">Incidents</th><th>Updated</th></tr></thead>
  <tbody>${items.map(
    (
      i,
    ) => html`<tr><td class="mono"><a href="/investigations/${i.id}">${i.id}</a></td><td><a href="/investigations/${i.id}">${i.name}</a>${i.isPrivate ? html` <span class="badge warn">private</span>` : ''}</td>
    <td><span class="badge">${i.state}</span></td><td>${i.teamId ? (teamName.get(i.teamId) ?? '') : ''}</td><td class="right">${i.incidentCount}</td><td class="muted nowrap">${when(i.updatedAt)}</td></tr>`,
  )}</tbody></table>
  ${items.length === 0 ? html`<p class="empty pad">No investigations.</p>` : ''}
  <p class="pager pad">${nextBeforeId ? html`<a href="/investigations?${new URLSearchParams([...(state ? [['state', state]] : []), ['before', String(nextBeforeId)]])}" rel="next">Older »</a>` : ''}</p>
</section>
${
  actor.permissions.has('investigations.write')
    ? html`<section class="card"><h2>New investigation</h2>${formError(errors)}
  <form method="post" action="/investigations">${csrfField(c)}
    <label>Name <input name="name" value="${v.name}" required maxlength="300">${fieldError(errors, 'name')}</label>
    <label>Description <textarea name="description" rows="3">${v.description}</textarea></label>
    <label>Team <select name="teamId"><option value="">None</option>${teams.map((t) => html`<option value="${t.id}"${String(t.id) === v.teamId ? html` selected` : ''}>${t.name}</option>`)}</select>${fieldError(errors, 'teamId')}</label>
    <label class="check"><input type="checkbox" name="isPrivate"${v.isPrivate ? html` checked` : ''}> Private to the team${mine.length ? '' : html` <span class="muted">(you are in no team that could own it)</span>`}</label>
    <button class="primary">Create investigation</button>
  </form></section>`
    : ''
}
</div>`,
    status,
  )
}

/** GET /investigations */
export const investigationList = (c: Context<AppEnv>) => investigationPageList(c)
