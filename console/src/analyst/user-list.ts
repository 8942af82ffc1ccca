import type { Context } from 'hono'
import { html } from 'hono/html'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { listUsers } from '../../../core/src/domain/users/list-users.ts'
import { when } from '../forms.ts'
import { adminPage } from '../views/admin.ts'

/** GET /admin/users: every account with its teams and state; filter box narrows by name, e-mail or team. */
export const userList = async (c: Context<AppEnv>) => {
  const q = (c.req.query('q') ?? '').trim().toLowerCase()
  const all = await listUsers(c.var.deps.db, c.var.actor!)
  const rows = q
    ? all.filter((u) =>
        [u.username, u.email ?? '', u.displayName ?? '', ...u.teams].some((s) => s.toLowerCase().includes(q)),
      )
    : all
  const now = new Date()
  return adminPage(
    c,
    'Users',
    html`<section class="card">
  <div class="toolbar">
    <h1>Users <span class="count">${rows.length}</span></h1>
    <form method="get" action="/admin/users" class="filters" role="search">
      <input type="search" name="q" value="${q}" placeholder="Filter users…" aria-label="Filter users" data-hotkey="/">
    </form>
    <a class="button primary" href="/admin/users/new" data-hotkey="n">New user</a>
  </div>
  <table class="dense">
    <thead><tr><th>Username</th><th>Name</th><th>E-mail</th><th>Teams</th><th>State</th><th>Last sign-in</th></tr></thead>
    <tbody>${rows.map(
      (u) => html`<tr>
      <td><a href="/admin/users/${u.id}">${u.username}</a></td>
      <td>${u.displayName ?? ''}</td>
      <td class="mono">${u.email ?? ''}</td>
      <td>${u.teams.map((t) => html`<span class="badge">${t}</span> `)}</td>
      <td>${u.isDisabled ? html`<span class="badge bad">disabled</span>` : u.lockedUntil && u.lockedUntil > now ? html`<span class="badge warn">locked</span>` : html`<span class="badge ok">active</span>`}</td>
      <td class="muted">${when(u.lastLoginAt) || 'never'}</td>
    </tr>`,
    )}</tbody>
  </table>
  ${rows.length === 0 ? html`<p class="empty">No users match.</p>` : ''}
</section>`,
  )
}
