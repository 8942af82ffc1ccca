import type { Context } from 'hono'
import { html } from 'hono/html'
import { readBackupSchedule } from '../../../appliance/src/backup/backup-schedule.ts'
import { listBackups } from '../../../appliance/src/backup/list-backups.ts'
import { listOps } from '../../../appliance/src/ops/progress.ts'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { bytes, consolePage, csrfField, errorBox, notice, opFragment } from './view.ts'

/** GET /backups — backups with size and version, running operations, create, upload, schedule. */
export const backupList = async (c: Context<AppEnv>, message?: { notice?: string; error?: string }, status = 200) => {
  const uploaded = c.req.query('uploaded')
  if (!message && uploaded && /^[A-Za-z0-9._-]+\.cbk$/.test(uploaded))
    message = { notice: `Uploaded ${uploaded}. Verify it before restoring.` }
  if (!message && c.req.query('refused')) message = { error: 'The uploaded file is not a Clawback backup file.' }
  const { dataDir } = c.var.deps.config
  const backups = listBackups(dataDir)
  const schedule = await readBackupSchedule(c.var.deps.db)
  const ops = listOps(dataDir, 5).filter((o) => o.kind !== 'upgrade')
  const opt = (v: string, cur: string, label = v) =>
    html`<option value="${v}"${v === cur ? html` selected` : ''}>${label}</option>`
  return consolePage(
    c,
    'Backups',
    html`<section class="card"><h1>Backups</h1>
  ${notice(message?.notice)}${errorBox(message?.error)}
  <p class="muted">A backup holds the database, the blobs, the configuration and the release version — never the master secret. It is encrypted with a key derived from the master secret: keep an export of the master secret to restore on another appliance.</p>
  <form hx-post="/backups" hx-target="#ops" hx-swap="afterbegin">${csrfField(c)}<button class="primary" id="backup-now">Back up now</button></form>
  <div id="ops">${ops.map((o) => opFragment(o, o.id))}</div>
  <table id="backups"><thead><tr><th>Backup</th><th>Created</th><th>Size</th><th>Version</th><th>Kind</th><th></th></tr></thead><tbody>
  ${backups.map(
    (
      b,
    ) => html`<tr data-name="${b.name}"><td class="mono"><a href="/backups/${b.name}/download">${b.name}</a></td><td>${b.createdAt}</td><td>${bytes(b.size)}</td><td>${b.version}</td><td>${b.trigger}</td>
    <td><form class="inline" hx-post="/backups/${b.name}/verify" hx-target="closest td" hx-swap="afterbegin">${csrfField(c)}<button>Verify</button></form>
    <form class="inline" hx-post="/backups/${b.name}/restore" hx-target="#ops" hx-swap="afterbegin" hx-confirm="Restore ${b.name}? The current data is replaced (it is kept aside until the next restore).">${csrfField(c)}<button class="danger">Restore</button></form>
    <form class="inline" method="post" action="/backups/${b.name}/delete" data-confirm="Delete this backup?">${csrfField(c)}<button>Delete</button></form></td></tr>`,
  )}
  ${backups.length === 0 ? html`<tr><td colspan="6" class="muted">No backups yet.</td></tr>` : ''}
  </tbody></table></section>
<section class="card"><h2>Upload a backup</h2>
  <form method="post" action="/backups/upload" enctype="multipart/form-data" data-stream-upload>${csrfField(c)}<label>Backup file (.cbk) <input type="file" name="file" required></label><button id="upload-backup">Upload</button> <span class="upload-status muted"></span></form></section>
<section class="card"><h2>Schedule</h2>
  <form method="post" action="/backups/schedule">${csrfField(c)}
  <label>Frequency <select name="frequency">${opt('off', schedule.frequency)}${opt('daily', schedule.frequency)}${opt('weekly', schedule.frequency)}</select></label>
  <label>Hour (UTC) <input name="hour" type="number" min="0" max="23" value="${schedule.hour}"></label>
  <label>Weekday (weekly; 0 = Sunday) <input name="weekday" type="number" min="0" max="6" value="${schedule.weekday}"></label>
  <label>Keep this many scheduled backups <input name="retention" type="number" min="1" max="365" value="${schedule.retention}"></label>
  <button>Save schedule</button></form></section>`,
    status,
  )
}
