import type { Context } from 'hono'
import { html } from 'hono/html'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { listAbuseMailboxes } from '../../../core/src/domain/abuse/list-abuse-mailboxes.ts'
import { listMailReaders } from '../../../core/src/domain/abuse/list-mail-readers.ts'
import { SOURCE_TYPES } from '../../../core/src/domain/sources/create-source.ts'
import { listSources } from '../../../core/src/domain/sources/list-sources.ts'
import { csrfField, type FormErrors, fieldError, formError, when } from '../forms.ts'
import { abusePlatformLinks } from '../views/abuse-mailbox-form.ts'
import { page } from '../views/layout.ts'

/** The "New abuse mailbox" card: one setup form per platform (each names its own fields). */
const abuseCard = (readers: Awaited<ReturnType<typeof listMailReaders>>) =>
  html`<section class="card" id="new-abuse-mailbox"><h2>New abuse mailbox</h2><p class="muted">User reports sent to an abuse mailbox become incidents, are analysed, and are moved out of its folder. Choose its platform:</p>${abusePlatformLinks(readers)}${
    readers.length === 0
      ? html`<p class="muted">Add a Microsoft 365, Exchange (EWS), Gmail or IMAP connector first (management console → Connections).</p>`
      : ''
  }</section>`

/** An abuse mailbox's health line in the list: last poll, backlog, last error. */
const healthCell = (h: Awaited<ReturnType<typeof listAbuseMailboxes>>[number]['health'] | undefined) =>
  h
    ? html`<span class="muted abuse-health">last poll ${h.lastPollAt ? h.lastPollAt.slice(0, 16).replace('T', ' ') : 'never'} · backlog ${h.backlog ?? '—'}${
        h.lastError ? html` · <span class="badge bad">error</span> ${h.lastError}` : ''
      }</span>`
    : ''

/** The sources page: every source and the create form. */
export const sourcePageList = async (
  c: Context<AppEnv>,
  v = { name: '', type: 'json' },
  errors: FormErrors = {},
  status = 200,
) => {
  const rows = await listSources(c.var.deps.db, c.var.actor!)
  const health = new Map((await listAbuseMailboxes(c.var.deps.db, c.var.actor!)).map((m) => [m.id, m.health]))
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
        html`<tr><td><a href="/sources/${s.id}">${s.name}</a></td><td><span class="badge">${s.type}</span> ${healthCell(health.get(s.id))}</td><td>${s.isEnabled ? html`<span class="badge ok">enabled</span>` : html`<span class="badge bad">disabled</span>`}</td><td class="muted">${when(s.createdAt)}</td></tr>`,
    )}</tbody></table>${rows.length === 0 ? html`<p class="empty pad">No sources yet.</p>` : ''}</section>
${
  canWrite
    ? html`<div><section class="card"><h2>New source</h2>${formError(errors)}
  <form method="post" action="/sources">${csrfField(c)}
    <label>Name <input name="name" value="${v.name}" required maxlength="200">${fieldError(errors, 'name')}</label>
    <label>Type <select name="type">${SOURCE_TYPES.map((t) => html`<option value="${t}"${t === v.type ? html` selected` : ''}>${t === 'json' ? 'JSON alerts (POST URL)' : 'CSV upload'}</option>`)}</select>${fieldError(errors, 'type')}</label>
    <button class="primary">Create source</button>
  </form></section>${abuseCard(readers)}</div>`
    : ''
}
</div>`,
    status,
  )
}

/** GET /sources */
export const sourceList = (c: Context<AppEnv>) => sourcePageList(c)
