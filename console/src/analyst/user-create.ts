import type { Context } from 'hono'
import { html } from 'hono/html'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { listTeams } from '../../../core/src/domain/teams/list-teams.ts'
import { createUser } from '../../../core/src/domain/users/create-user.ts'
import { all, checked, csrfField, type FormErrors, fieldError, formError, formErrors, one, readForm } from '../forms.ts'
import { redirect } from '../htmx.ts'
import { adminPage } from '../views/admin.ts'

type Values = { username: string; displayName: string; email: string; teams: string[]; mustChange: boolean }

const form = async (c: Context<AppEnv>, v: Values, errors: FormErrors = {}) => {
  const teams = await listTeams(c.var.deps.db, c.var.actor!)
  return html`<section class="card form-card">
  <h1>New user</h1>
  ${formError(errors)}
  <form method="post" action="/admin/users">
    ${csrfField(c)}
    <label>Username <input name="username" value="${v.username}" required maxlength="128" autocomplete="off" autofocus>${fieldError(errors, 'username')}</label>
    <label>Display name <input name="displayName" value="${v.displayName}" maxlength="200">${fieldError(errors, 'displayName')}</label>
    <label>E-mail <input name="email" type="email" value="${v.email}" maxlength="320">${fieldError(errors, 'email')}</label>
    <label>Initial password (12 characters or more) <input name="password" type="password" autocomplete="new-password" minlength="12" required>${fieldError(errors, 'password')}</label>
    <label class="check"><input type="checkbox" name="mustChange"${v.mustChange ? html` checked` : ''}> Must choose a new password at first sign-in</label>
    <fieldset><legend>Teams</legend>${fieldError(errors, 'teams')}
      <div class="checks">${teams.map(
        (t) =>
          html`<label class="check"><input type="checkbox" name="teams" value="${t.name}"${v.teams.includes(t.name) ? html` checked` : ''}> ${t.name}${t.isPrivate ? html` <span class="badge warn">private</span>` : ''}</label>`,
      )}</div>
    </fieldset>
    <div class="actions"><button class="primary">Create user</button> <a href="/admin/users">Cancel</a></div>
  </form>
</section>`
}

/** GET /admin/users/new */
export const userCreateForm = async (c: Context<AppEnv>) =>
  adminPage(c, 'New user', await form(c, { username: '', displayName: '', email: '', teams: [], mustChange: true }))

/** POST /admin/users: creates the account (audited in the domain); 422 with the values kept on errors. */
export const userCreate = async (c: Context<AppEnv>) => {
  const f = await readForm(c)
  const v: Values = {
    username: one(f, 'username'),
    displayName: one(f, 'displayName'),
    email: one(f, 'email'),
    teams: all(f, 'teams'),
    mustChange: checked(f, 'mustChange'),
  }
  const errors: FormErrors = {}
  if (v.email && !/^[^\s@]+@[^\s@]+$/.test(v.email)) errors.email = 'not an e-mail address'
  if (!errors.email) {
    try {
      const user = await createUser(c.var.deps.db, c.var.actor!, {
        username: v.username,
        password: f.password?.[0] ?? '',
        displayName: v.displayName || undefined,
        email: v.email || undefined,
        teams: v.teams,
        mustChangePassword: v.mustChange,
      })
      return redirect(c, `/admin/users/${user.id}`)
    } catch (err) {
      Object.assign(errors, formErrors(err))
    }
  }
  return adminPage(c, 'New user', await form(c, v, errors), 422)
}
