import type { Context } from 'hono'
import { html } from 'hono/html'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { createTeam } from '../../../core/src/domain/teams/create-team.ts'
import { PERMISSIONS } from '../../../core/src/policy/permissions.ts'
import { all, checked, csrfField, type FormErrors, fieldError, formError, formErrors, one, readForm } from '../forms.ts'
import { redirect } from '../htmx.ts'
import { adminPage } from '../views/admin.ts'

export type TeamValues = { name: string; description: string; isPrivate: boolean; permissions: string[] }

/** The permission checkboxes, shared by the create and edit forms. */
export const permissionChecks = (selected: string[]) =>
  html`<div class="checks cols">${PERMISSIONS.map(
    (p) =>
      html`<label class="check mono"><input type="checkbox" name="permissions" value="${p}"${selected.includes(p) ? html` checked` : ''}> ${p}</label>`,
  )}</div>`

const form = (c: Context<AppEnv>, v: TeamValues, errors: FormErrors = {}) => html`<section class="card form-card">
  <p class="crumbs"><a href="/admin/teams">Teams</a> › new</p>
  <h1>New team</h1>
  ${formError(errors)}
  <form method="post" action="/admin/teams">
    ${csrfField(c)}
    <label>Name <input name="name" value="${v.name}" required maxlength="100" autofocus>${fieldError(errors, 'name')}</label>
    <label>Description <input name="description" value="${v.description}" maxlength="1000">${fieldError(errors, 'description')}</label>
    <label class="check"><input type="checkbox" name="isPrivate"${v.isPrivate ? html` checked` : ''}> Private: its incidents and investigations are visible to its members only (administrators included)</label>
    <fieldset><legend>Permissions</legend>${fieldError(errors, 'permissions')}${permissionChecks(v.permissions)}</fieldset>
    <div class="actions"><button class="primary">Create team</button> <a href="/admin/teams">Cancel</a></div>
  </form>
</section>`

/** GET /admin/teams/new */
export const teamCreateForm = (c: Context<AppEnv>) =>
  adminPage(c, 'New team', form(c, { name: '', description: '', isPrivate: false, permissions: [] }))

/** POST /admin/teams */
export const teamCreate = async (c: Context<AppEnv>) => {
  const f = await readForm(c)
  const v: TeamValues = {
    name: one(f, 'name'),
    description: one(f, 'description'),
    isPrivate: checked(f, 'isPrivate'),
    permissions: all(f, 'permissions'),
  }
  try {
    const team = await createTeam(c.var.deps.db, c.var.actor!, v)
    return redirect(c, `/admin/teams/${team.id}`)
  } catch (err) {
    return adminPage(c, 'New team', form(c, v, formErrors(err)), 422)
  }
}
