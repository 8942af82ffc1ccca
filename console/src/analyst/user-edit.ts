import type { Context } from 'hono'
import { html } from 'hono/html'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { listTeams } from '../../../core/src/domain/teams/list-teams.ts'
import { listUsers } from '../../../core/src/domain/users/list-users.ts'
import { AppError } from '../../../core/src/errors.ts'
import { csrfField, type FormErrors, fieldError, formError, idParam, when } from '../forms.ts'
import { adminPage } from '../views/admin.ts'

/**
 * The user page: details, team memberships (editable with teams.manage), password reset and
 * disable/enable. Shared by the GET and by every form on it when it must be shown again with errors.
 */
export const userPage = async (
  c: Context<AppEnv>,
  userId: number,
  errors: FormErrors = {},
  status = 200,
  notice?: string,
) => {
  const actor = c.var.actor!
  const user = (await listUsers(c.var.deps.db, actor)).find((u) => u.id === userId)
  if (!user) throw new AppError('NOT_FOUND', 'user not found')
  const teams = await listTeams(c.var.deps.db, actor)
  const canTeams = actor.permissions.has('teams.manage')
  const isSelf = actor.userId === user.id
  return adminPage(
    c,
    user.username,
    html`<p class="crumbs"><a href="/admin/users">Users</a> › ${user.username}</p>
${notice ? html`<p class="notice ok" role="status">${notice}</p>` : ''}
${formError(errors)}
<div class="grid two">
<section class="card">
  <h1>${user.username} ${user.isDisabled ? html`<span class="badge bad">disabled</span>` : html`<span class="badge ok">active</span>`}</h1>
  <dl class="facts">
    <dt>Name</dt><dd>${user.displayName ?? '—'}</dd>
    <dt>E-mail</dt><dd class="mono">${user.email ?? '—'}</dd>
    <dt>Created</dt><dd>${when(user.createdAt)}</dd>
    <dt>Last sign-in</dt><dd>${when(user.lastLoginAt) || 'never'}</dd>
    <dt>Locked until</dt><dd>${user.lockedUntil && user.lockedUntil > new Date() ? when(user.lockedUntil) : '—'}</dd>
  </dl>
  <form method="post" action="/admin/users/${user.id}/disable" class="inline">
    ${csrfField(c)}
    <input type="hidden" name="disabled" value="${user.isDisabled ? 'false' : 'true'}">
    ${user.isDisabled ? html`<button>Enable account</button>` : html`<button class="danger"${isSelf ? html` disabled title="You cannot disable your own account"` : ''}>Disable account</button>`}
    ${fieldError(errors, 'disabled')}
  </form>
</section>
<section class="card">
  <h2>Reset password</h2>
  <form method="post" action="/admin/users/${user.id}/password">
    ${csrfField(c)}
    <label>New password (12 characters or more) <input name="password" type="password" autocomplete="new-password" minlength="12" required>${fieldError(errors, 'password')}</label>
    <label class="check"><input type="checkbox" name="mustChange" checked> Must choose a new password at next sign-in</label>
    <button>Reset password</button> <span class="muted">Ends the user's sessions.</span>
  </form>
</section>
</div>
<section class="card">
  <h2>Teams</h2>
  ${fieldError(errors, 'teams')}
  <form method="post" action="/admin/users/${user.id}/teams">
    ${csrfField(c)}
    <table class="dense"><thead><tr><th></th><th>Team</th><th>Permissions</th></tr></thead><tbody>
    ${teams.map(
      (
        t,
      ) => html`<tr><td><input type="checkbox" name="teams" value="${t.id}" aria-label="${t.name}"${user.teams.includes(t.name) ? html` checked` : ''}${canTeams ? '' : html` disabled`}></td>
      <td>${t.name}${t.isPrivate ? html` <span class="badge warn" title="Members alone see this team's private incidents">private</span>` : ''}</td>
      <td class="muted small">${t.permissions.join(', ')}</td></tr>`,
    )}</tbody></table>
    ${canTeams ? html`<div class="actions"><button class="primary">Save teams</button> <span class="muted">Joining a private team is recorded in the audit log.</span></div>` : html`<p class="muted">Changing memberships needs teams.manage.</p>`}
  </form>
</section>`,
    status,
  )
}

/** GET /admin/users/:id */
export const userEdit = (c: Context<AppEnv>) =>
  userPage(c, idParam(c), {}, 200, c.req.query('saved') ? 'Saved.' : undefined)
