import type { Context } from 'hono'
import { html } from 'hono/html'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { listMailReaders } from '../../../core/src/domain/abuse/list-mail-readers.ts'
import { SOURCE_TYPES } from '../../../core/src/domain/sources/create-source.ts'
import { listSources } from '../../../core/src/domain/sources/list-sources.ts'
import { csrfField, type FormErrors, fieldError, formError, when } from '../forms.ts'
import { page } from '../views/layout.ts'
import type { AbuseForm } from './abuse-mailbox-create.ts'

const NO_ABUSE: AbuseForm = {
  name: '',
  connectorId: '',
  mailbox: '',
  folder: '',
  processedFolder: '',
  intervalSeconds: '60',
}

/** The abuse-mailbox setup form: a connector of any platform that reads mailboxes, the address, folder, interval. */
const abuseForm = (
  c: Context<AppEnv>,
  readers: Awaited<ReturnType<typeof listMailReaders>>,
  v: AbuseForm,
  errors: FormErrors,
) =>
  html`<section class="card" id="new-abuse-mailbox"><h2>New abuse mailbox</h2>${formError(errors)}${
    readers.length === 0
      ? html`<p class="muted">Add a Microsoft 365, Exchange (EWS), Gmail or IMAP connector first (management console → Connections).</p>`
      : html`<p class="muted">User reports sent to this mailbox become incidents, are analysed, and are moved to the processed folder. After creating it, use <b>Test connection</b> on its page.</p>
  <form method="post" action="/sources/abuse-mailbox">${csrfField(c)}
    <label>Name <input name="name" value="${v.name}" required maxlength="200">${fieldError(errors, 'name')}</label>
    <label>Connector <select name="connectorId">${readers.map((r) => html`<option value="${r.id}"${String(r.id) === v.connectorId ? html` selected` : ''}>${r.name} (${r.kind})${r.isEnabled ? '' : ' — disabled'}</option>`)}</select>${fieldError(errors, 'connectorId')}</label>
    <label>Abuse address <input name="mailbox" type="email" value="${v.mailbox}" required maxlength="320">${fieldError(errors, 'mailbox')}</label>
    <label>Folder <input name="folder" value="${v.folder}" placeholder="INBOX (IMAP, Gmail label) / Inbox (Microsoft 365) / inbox (EWS)" maxlength="200">${fieldError(errors, 'folder')}</label>
    <label>Processed folder <input name="processedFolder" value="${v.processedFolder}" placeholder="Clawback Processed" maxlength="200">${fieldError(errors, 'processedFolder')}</label>
    <label>Poll interval (s) <input name="intervalSeconds" type="number" min="5" max="86400" value="${v.intervalSeconds}">${fieldError(errors, 'intervalSeconds')}</label>
    <button class="primary">Create abuse mailbox</button>
  </form>`
  }</section>`

/** The sources page: every source and the create form. */
export const sourcePageList = async (
  c: Context<AppEnv>,
  v = { name: '', type: 'json' },
  errors: FormErrors = {},
  status = 200,
  abuse: { v: AbuseForm; errors: FormErrors } = { v: NO_ABUSE, errors: {} },
) => {
  const rows = await listSources(c.var.deps.db, c.var.actor!)
  const canWrite = c.var.actor!.permissions.has('sources.write')
  const readers = canWrite ? await listMailReaders(c.var.deps.db, c.var.actor!) : []
  return page(
    c,
    'Sources',
    html`<div class="toolbar"><h1>Sources</h1><nav class="links"><a href="/responses/templates">Notification templates</a>${
      c.var.actor!.permissions.has('responses.run')
        ? html` · <a href="/responses/permissions">Response permissions</a>`
        : ''
    }</nav></div>
<div class="grid side">
<section class="card flush"><table class="dense"><thead><tr><th>Name</th><th>Type</th><th>State</th><th>Created</th></tr></thead><tbody>${rows.map(
      (s) =>
        html`<tr><td><a href="/sources/${s.id}">${s.name}</a></td><td><span class="badge">${s.type}</span></td><td>${s.isEnabled ? html`<span class="badge ok">enabled</span>` : html`<span class="badge bad">disabled</span>`}</td><td class="muted">${when(s.createdAt)}</td></tr>`,
    )}</tbody></table>${rows.length === 0 ? html`<p class="empty pad">No sources yet.</p>` : ''}</section>
${
  canWrite
    ? html`<div><section class="card"><h2>New source</h2>${formError(errors)}
  <form method="post" action="/sources">${csrfField(c)}
    <label>Name <input name="name" value="${v.name}" required maxlength="200">${fieldError(errors, 'name')}</label>
    <label>Type <select name="type">${SOURCE_TYPES.map((t) => html`<option value="${t}"${t === v.type ? html` selected` : ''}>${t === 'json' ? 'JSON alerts (POST URL)' : 'CSV upload'}</option>`)}</select>${fieldError(errors, 'type')}</label>
    <button class="primary">Create source</button>
  </form></section>${abuseForm(c, readers, abuse.v, abuse.errors)}</div>`
    : ''
}
</div>`,
    status,
  )
}

/** GET /sources */
export const sourceList = (c: Context<AppEnv>) => sourcePageList(c)
