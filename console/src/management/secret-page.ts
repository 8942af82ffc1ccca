import type { Context } from 'hono'
import { html } from 'hono/html'
import { masterSecretStatus } from '../../../appliance/src/secret/keyring-file.ts'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { consolePage, csrfField, errorBox, notice } from './view.ts'

/** GET /secret — master secret status, export, import, rotation. */
export const secretPage = (c: Context<AppEnv>, message?: { notice?: string; error?: string }, status = 200) => {
  const s = masterSecretStatus(c.var.deps.config.masterSecretFile, c.var.deps.keyring)
  return consolePage(
    c,
    'Master secret',
    html`<section class="card"><h1>Master secret</h1>${notice(message?.notice)}${errorBox(message?.error)}
  <p>Current key <span class="mono" id="key-id">${s.keyId}</span>${s.keyIds.length > 1 ? html` (also holds ${s.keyIds.slice(1).join(', ')})` : ''}; file changed ${s.changedAt ?? 'never'}.</p>
  <p class="muted">It encrypts stored credentials and backups. It is never stored in the database or in a backup: export it (wrapped with a passphrase) and keep the file somewhere safe, apart from the backups.</p></section>
<section class="card"><h2>Export</h2>
  <form method="post" action="/secret/export">${csrfField(c)}
  <label>Passphrase (12 characters or more) <input type="password" name="passphrase" minlength="12" autocomplete="new-password" required></label>
  <label>Repeat passphrase <input type="password" name="confirm" minlength="12" autocomplete="new-password" required></label>
  <button class="primary" id="export">Download export file</button></form></section>
<section class="card"><h2>Import</h2>
  <p class="muted">On a fresh appliance, import the export of the appliance whose backups you want to restore. Keys already here are kept.</p>
  <form method="post" action="/secret/import" enctype="multipart/form-data">${csrfField(c)}
  <label>Export file <input type="file" name="file" required></label>
  <label>Passphrase <input type="password" name="passphrase" autocomplete="off" required></label>
  <button id="import">Import</button></form></section>
<section class="card"><h2>Rotate</h2>
  <p class="muted">Creates a new key and re-encrypts every stored credential under it, then drops the old key. Backups taken before the rotation need an export made before it.</p>
  <form method="post" action="/secret/rotate" data-confirm="Rotate the master secret?">${csrfField(c)}<button class="danger">Rotate now</button></form></section>`,
    status,
  )
}
