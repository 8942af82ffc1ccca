import type { Context } from 'hono'
import { html } from 'hono/html'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { listResponsePermissions } from '../../../core/src/domain/responses/list-response-permissions.ts'
import { listTeams } from '../../../core/src/domain/teams/list-teams.ts'
import { csrfField, type FormErrors, fieldError } from '../forms.ts'
import { page } from '../views/layout.ts'

/** A type's form that failed: its checked teams and the error beside them. */
export type PermissionFailure = { type: string; teamIds: number[]; errors: FormErrors }

/**
 * Every response type with the teams allowed to run it by hand (none: every team with
 * responses.run, the domain's rule); with teams.manage, one form of team checkboxes per type.
 */
export const responsePermissionPage = async (c: Context<AppEnv>, failed?: PermissionFailure, status = 200) => {
  const { db } = c.var.deps
  const actor = c.var.actor!
  const types = await listResponsePermissions(db, actor)
  const teams = await listTeams(db, actor)
  const canManage = actor.permissions.has('teams.manage')
  const nameOf = (id: number) => teams.find((t) => t.id === id)?.name ?? `team ${id}`
  const saved = c.req.query('saved')
  return page(
    c,
    'Response permissions',
    html`<p class="crumbs"><a href="/sources">Sources</a> › Response permissions</p>
<h1>Who may run each response by hand</h1>
<p class="muted">A response with no teams ticked may be run by anyone with the responses.run permission. Automatic runs from match conditions are not limited by this.</p>
${saved ? html`<p class="notice ok" role="status">Saved ${saved}.</p>` : ''}
<section class="card flush"><table class="dense"><thead><tr><th>Response</th><th>Allowed teams</th><th>You</th>${canManage ? html`<th>Change</th>` : ''}</tr></thead><tbody>${types.map(
      (t) => {
        const checked = failed?.type === t.type ? failed.teamIds : t.teamIds
        return html`<tr id="type-${t.type.replace(/[^a-z0-9-]/g, '-')}"><td><strong>${t.title}</strong><div class="mono small muted">${t.type}</div></td>
<td class="allowed">${t.teamIds.length ? t.teamIds.map(nameOf).join(', ') : html`<span class="muted">all teams with responses.run</span>`}</td>
<td>${t.canRun ? 'may run' : html`<span class="muted">may not run</span>`}</td>
${
  canManage
    ? html`<td><form method="post" action="/responses/permissions/${t.type}" class="compact">${csrfField(c)}
  <fieldset aria-label="Teams allowed to run ${t.title}">${teams.map(
    (team) =>
      html`<label class="check"><input type="checkbox" name="teamIds" value="${team.id}"${checked.includes(team.id) ? html` checked` : ''}> ${team.name}</label>`,
  )}</fieldset>${failed?.type === t.type ? fieldError(failed.errors, 'teamIds') : ''}
  <button class="small">Save</button></form></td>`
    : ''
}</tr>`
      },
    )}</tbody></table></section>`,
    status,
  )
}

/** GET /responses/permissions */
export const responsePermissionList = (c: Context<AppEnv>) => responsePermissionPage(c)
