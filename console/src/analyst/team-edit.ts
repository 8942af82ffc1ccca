import type { Context } from 'hono'
import { html } from 'hono/html'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { listTeams } from '../../../core/src/domain/teams/list-teams.ts'
import { AppError } from '../../../core/src/errors.ts'
import { csrfField, type FormErrors, fieldError, formError, idParam } from '../forms.ts'
import { adminPage } from '../views/admin.ts'
import { permissionChecks, type TeamValues } from './team-create.ts'

/** The team page: settings form and members. Shared by the GET and the forms' 422 answers. */
export const teamPage = async (
  c: Context<AppEnv>,
  teamId: number,
  errors: FormErrors = {},
  status = 200,
  values?: TeamValues,
) => {
  const team = (await listTeams(c.var.deps.db, c.var.actor!)).find((t) => t.id === teamId)
  if (!team) throw new AppError('NOT_FOUND', 'team not found')
  const v = values ?? {
    name: team.name,
    description: team.description,
    isPrivate: team.isPrivate,
    permissions: team.permissions,
  }
  const me = c.var.session?.username
  return adminPage(
    c,
    team.name,
    html`<p class="crumbs"><a href="/admin/teams">Teams</a> › ${team.name}</p>
${c.req.query('saved') ? html`<p class="notice ok" role="status">Saved.</p>` : ''}
${formError(errors)}
<div class="grid two">
<section class="card">
  <h1>${team.name}${team.isPrivate ? html` <span class="badge warn">private</span>` : ''}</h1>
  <form method="post" action="/admin/teams/${team.id}">
    ${csrfField(c)}
    <label>Description <input name="description" value="${v.description}" maxlength="1000">${fieldError(errors, 'description')}</label>
    <label class="check"><input type="checkbox" name="isPrivate"${v.isPrivate ? html` checked` : ''}> Private: its incidents and investigations are visible to its members only</label>
    <fieldset><legend>Permissions</legend>${fieldError(errors, 'permissions')}${permissionChecks(v.permissions)}</fieldset>
    <div class="actions"><button class="primary">Save team</button></div>
  </form>
</section>
<section class="card">
  <h2>Members <span class="count">${team.members.length}</span></h2>
  ${fieldError(errors, 'member')}
  <table class="dense"><tbody>${team.members.map(
    (m) => html`<tr><td>${m}</td><td class="right">
      <form method="post" action="/admin/teams/${team.id}/members" class="inline">${csrfField(c)}<input type="hidden" name="username" value="${m}"><input type="hidden" name="member" value="false"><button class="small">Remove</button></form></td></tr>`,
  )}</tbody></table>
  ${team.members.length === 0 ? html`<p class="empty">No members.</p>` : ''}
  <form method="post" action="/admin/teams/${team.id}/members" class="row">
    ${csrfField(c)}<input type="hidden" name="member" value="true">
    <input name="username" placeholder="Username" aria-label="Username to add" required maxlength="128">
    <button>Add member</button>
  </form>
  ${team.isPrivate && me && !team.members.includes(me) ? html`<p class="muted small">You are not a member, so you do not see this team's private incidents. Adding yourself is allowed and recorded in the audit log.</p>` : ''}
</section>
</div>`,
    status,
  )
}

/** GET /admin/teams/:id */
export const teamEdit = (c: Context<AppEnv>) => teamPage(c, idParam(c))
