import type { Context } from 'hono'
import { html } from 'hono/html'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { getAbuseMailbox } from '../../../core/src/domain/abuse/get-abuse-mailbox.ts'
import type { CsvRowError } from '../../../core/src/domain/intake/upload-csv.ts'
import { getSource } from '../../../core/src/domain/sources/get-source.ts'
import { csrfField, type FormErrors, fieldError, formError, idParam, when } from '../forms.ts'
import { type AbuseTestResult, abuseMailboxCard } from '../views/abuse-mailbox.ts'
import { page } from '../views/layout.ts'

export type UploadReport =
  | { ok: true; incidentId: number; alerts: number }
  | { ok: false; message: string; rows: CsvRowError[] }

/** Single-quotes a string for a POSIX shell (the curl example must be copyable as is). */
const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

/**
 * The source page: settings form, and for a JSON source its POST URL with a copyable curl example
 * (only for sources.write: the URL is the credential), for a CSV source the upload form and the
 * per-row report of the last upload.
 */
export const sourcePage = async (
  c: Context<AppEnv>,
  id: number,
  opts: { errors?: FormErrors; report?: UploadReport; status?: number; test?: AbuseTestResult } = {},
) => {
  const canWrite = c.var.actor!.permissions.has('sources.write')
  const origin = c.var.deps.config.publicUrl || new URL(c.req.url).origin
  const s = await getSource(c.var.deps.db, c.var.deps.keyring, c.var.actor!, id, {
    withUrl: canWrite,
    publicUrl: origin,
  })
  const mailbox = s.type === 'abuse_mailbox' ? await getAbuseMailbox(c.var.deps.db, c.var.actor!, id) : undefined
  const errors = opts.errors ?? {}
  const r = opts.report
  const curl = s.url
    ? `curl -sS -X POST ${shellQuote(s.url)} \\\n  -H 'Content-Type: application/json' \\\n  -d '{"json_version":"2.0","summary":"Test alert","classification":"phish","severity":"minor","email":{"sender":"bad@evil.example","recipient":["user@corp.example"],"subject":"Test","message_id":"<test-1@evil.example>"}}'`
    : ''
  return page(
    c,
    s.name,
    html`<p class="crumbs"><a href="/sources">Sources</a> › ${s.name}</p>
<div class="incident-head"><h1>${s.name}</h1><div class="badges"><span class="badge">${s.type}</span> ${s.isEnabled ? html`<span class="badge ok">enabled</span>` : html`<span class="badge bad">disabled</span>`}</div></div>
${formError(errors)}
<div class="grid two">
<section class="card">
  ${
    mailbox
      ? abuseMailboxCard(c, mailbox, canWrite, opts.test)
      : s.type === 'json'
        ? html`<h2>POST URL</h2>${
            s.url
              ? html`<p class="muted">Anyone with this URL can send alerts: treat it as a secret. Rotating it stops the old URL at once.</p>
    <input class="mono copy" readonly value="${s.url}" aria-label="POST URL" data-select-on-focus>
    <h3>Example</h3><pre class="mono code" aria-label="curl example">${curl}</pre>`
              : html`<p class="muted">Only users who may edit sources see the POST URL.</p>`
          }`
        : html`<h2>Upload a CSV</h2><p class="muted">One row per delivered message: <span class="mono">message-id, recipient</span> (header optional). Every row becomes an alert on one new incident; a file with any bad row is rejected as a whole.</p>
    ${
      canWrite && s.isEnabled
        ? html`<form method="post" action="/sources/${s.id}/upload" enctype="multipart/form-data" class="compact">${csrfField(c)}<input type="file" name="file" accept=".csv,text/csv" required aria-label="CSV file">${fieldError(errors, 'file')}<div class="actions"><button class="primary">Upload</button></div></form>`
        : html`<p class="empty">${s.isEnabled ? 'Uploading needs sources.write.' : 'The source is disabled.'}</p>`
    }
    ${r?.ok ? html`<p class="notice ok" role="status">Stored ${r.alerts} alerts as incident <a href="/incidents/${r.incidentId}">#${r.incidentId}</a>.</p>` : ''}
    ${
      r && !r.ok
        ? html`<div class="error" role="alert">${r.message}</div>${
            r.rows.length
              ? html`<table class="dense small report"><thead><tr><th>Line</th><th>Problem</th></tr></thead><tbody>${r.rows.map((x) => html`<tr><td class="mono">${x.line}</td><td>${x.error}</td></tr>`)}</tbody></table>`
              : ''
          }`
        : ''
    }`
  }
</section>
<section class="card"><h2>Settings</h2>
  <p><a href="/sources/${s.id}/conditions">Match conditions and responses</a></p>
  <dl class="facts"><dt>Created</dt><dd>${when(s.createdAt)}</dd><dt>Updated</dt><dd>${when(s.updatedAt)}</dd></dl>
  ${
    canWrite
      ? html`<form method="post" action="/sources/${s.id}" class="compact">${csrfField(c)}
    <label>Name <input name="name" value="${s.name}" required maxlength="200">${fieldError(errors, 'name')}</label>
    <label class="check"><input type="checkbox" name="isEnabled"${s.isEnabled ? html` checked` : ''}> Enabled (a disabled source refuses alerts)</label>
    ${s.type === 'json' ? html`<label class="check"><input type="checkbox" name="rotate"> Rotate the POST URL</label>` : ''}
    <div class="actions"><button class="primary">Save source</button></div></form>`
      : ''
  }
</section>
</div>`,
    opts.status ?? 200,
  )
}

/** GET /sources/:id */
export const sourceShow = (c: Context<AppEnv>) => sourcePage(c, idParam(c))
