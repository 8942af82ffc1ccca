import type { Context } from 'hono'
import { html } from 'hono/html'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { listApiKeys } from '../../../core/src/domain/api-keys/list-api-keys.ts'
import { listTeams } from '../../../core/src/domain/teams/list-teams.ts'
import { csrfField, type FormErrors, fieldError, formError, when } from '../forms.ts'
import { adminPage } from '../views/admin.ts'

export type KeyValues = { name: string; teams: string[]; expires: string }
export type NewKey = { name: string; key: string }

/**
 * The API keys page: the new key (exactly once, right after creation), the create form, and the
 * keys with prefix, teams, last use and revoke. Never cached: it may carry a fresh key.
 */
export const apiKeyPage = async (
  c: Context<AppEnv>,
  opts: { values?: KeyValues; errors?: FormErrors; created?: NewKey; status?: number } = {},
) => {
  const { db } = c.var.deps
  const [keys, allTeams] = await Promise.all([listApiKeys(db, c.var.actor!), listTeams(db, c.var.actor!)])
  // A key may act only for teams its creator is in (createApiKey refuses the others).
  const teams = allTeams.filter((t) => c.var.actor!.teamIds.includes(t.id))
  const v = opts.values ?? { name: '', teams: [], expires: '' }
  const errors = opts.errors ?? {}
  c.header('Cache-Control', 'no-store')
  return adminPage(
    c,
    'API keys',
    html`${
      opts.created
        ? html`<section class="card secret" role="status">
  <h2>New key “${opts.created.name}”</h2>
  <p>Copy it now: it is shown only this once and cannot be recovered (only a hash is kept).</p>
  <p><input class="mono copy" readonly value="${opts.created.key}" id="new-key" aria-label="New API key" data-select-on-focus autofocus></p>
</section>`
        : ''
    }
<div class="grid side">
<section class="card">
  <h1>API keys <span class="count">${keys.length}</span></h1>
  <table class="dense">
    <thead><tr><th>Name</th><th>Prefix</th><th>Teams</th><th>Created</th><th>Last used</th><th>Expires</th><th></th></tr></thead>
    <tbody>${keys.map(
      (k) => html`<tr class="${k.revokedAt ? 'revoked' : ''}">
      <td>${k.name}</td><td class="mono">${k.prefix}…</td>
      <td>${k.teams.map((t) => html`<span class="badge">${t}</span> `)}</td>
      <td class="muted">${when(k.createdAt)}</td><td class="muted">${when(k.lastUsedAt) || 'never'}</td><td class="muted">${when(k.expiresAt) || '—'}</td>
      <td class="right">${
        k.revokedAt
          ? html`<span class="badge bad">revoked ${when(k.revokedAt)}</span>`
          : html`<form method="post" action="/admin/api-keys/${k.id}/revoke" class="inline">${csrfField(c)}<button class="small danger">Revoke</button></form>`
      }</td>
    </tr>`,
    )}</tbody>
  </table>
  ${keys.length === 0 ? html`<p class="empty">No API keys yet.</p>` : ''}
</section>
<section class="card">
  <h2>Create a key</h2>
  ${formError(errors)}
  <form method="post" action="/admin/api-keys">
    ${csrfField(c)}
    <label>Name <input name="name" value="${v.name}" required maxlength="200">${fieldError(errors, 'name')}</label>
    <label>Expires (optional) <input name="expires" type="date" value="${v.expires}">${fieldError(errors, 'expires')}</label>
    <fieldset><legend>Acts with the permissions of (your teams)</legend>${fieldError(errors, 'teams')}
      <div class="checks">${teams.map(
        (t) =>
          html`<label class="check"><input type="checkbox" name="teams" value="${t.name}"${v.teams.includes(t.name) ? html` checked` : ''}> ${t.name}</label>`,
      )}</div>
    </fieldset>
    <button class="primary">Create key</button>
  </form>
</section>
</div>`,
    opts.status ?? 200,
  )
}

/** GET /admin/api-keys */
export const apiKeyList = (c: Context<AppEnv>) => apiKeyPage(c)
