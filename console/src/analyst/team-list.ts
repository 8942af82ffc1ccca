import type { Context } from 'hono'
import { html } from 'hono/html'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { listTeams } from '../../../core/src/domain/teams/list-teams.ts'
import { adminPage } from '../views/admin.ts'

/** GET /admin/teams: teams with their private flag, permissions and members. */
export const teamList = async (c: Context<AppEnv>) => {
  const teams = await listTeams(c.var.deps.db, c.var.actor!)
  return adminPage(
    c,
    'Teams',
    html`<section class="card">
  <div class="toolbar"><h1>Teams <span class="count">${teams.length}</span></h1><a class="button primary" href="/admin/teams/new" data-hotkey="n">New team</a></div>
  <table class="dense">
    <thead><tr><th>Team</th><th>Description</th><th>Visibility</th><th>Permissions</th><th>Members</th></tr></thead>
    <tbody>${teams.map(
      (t) => html`<tr>
      <td><a href="/admin/teams/${t.id}">${t.name}</a>${t.isBuiltin ? html` <span class="badge">built-in</span>` : ''}</td>
      <td>${t.description}</td>
      <td>${t.isPrivate ? html`<span class="badge warn">private</span>` : html`<span class="muted">shared</span>`}</td>
      <td class="small">${t.permissions.length} <span class="muted">${t.permissions.join(', ')}</span></td>
      <td>${t.members.length ? t.members.join(', ') : html`<span class="muted">none</span>`}</td>
    </tr>`,
    )}</tbody>
  </table>
</section>`,
  )
}
