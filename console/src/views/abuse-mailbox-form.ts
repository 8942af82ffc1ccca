import type { Context } from 'hono'
import { html } from 'hono/html'
import type { AppEnv } from '../../../core/src/api/env.ts'
import type { listMailReaders } from '../../../core/src/domain/abuse/list-mail-readers.ts'
import type { AbuseProbe } from '../../../core/src/domain/abuse/probe-abuse-mailbox.ts'
import { csrfField, type FormErrors, fieldError, formError } from '../forms.ts'
import { type Html, page } from './layout.ts'

type Field = 'mailbox' | 'folder' | 'processedFolder' | 'intervalSeconds'
type FieldSpec = { label: string; hint: string; placeholder?: string }

/**
 * The fields each platform's abuse mailbox needs, named as that platform names them. A field a
 * platform does not show keeps the settings' default (IMAP waits with IDLE: the interval is only
 * the safety net, 60 s). Keyed by connector kind.
 */
export const ABUSE_PLATFORMS: Record<
  string,
  { title: string; docs: string; fields: Partial<Record<Field, FieldSpec>> }
> = {
  imap: {
    title: 'IMAP',
    docs: 'IMAP (Dovecot, any IMAP4rev1 server): the connector logs in as the master user; new mail is pushed by IDLE.',
    fields: {
      mailbox: { label: 'Mailbox (login)', hint: 'the abuse address, logged in as user*master' },
      folder: { label: 'Folder', hint: 'an IMAP folder path', placeholder: 'INBOX' },
      processedFolder: { label: 'Processed folder', hint: 'created subscribed', placeholder: 'Clawback Processed' },
    },
  },
  msgraph: {
    title: 'Microsoft 365',
    docs: 'Microsoft 365 (Graph, application permission Mail.ReadWrite): the folder is read by delta queries every interval.',
    fields: {
      mailbox: { label: 'Mailbox (UPN)', hint: 'the abuse mailbox’s user principal name' },
      folder: { label: 'Folder', hint: 'Inbox, JunkEmail, Archive or a top-level folder’s name', placeholder: 'Inbox' },
      processedFolder: { label: 'Processed folder', hint: 'created visible', placeholder: 'Clawback Processed' },
      intervalSeconds: { label: 'Poll interval (s)', hint: '5 s at least' },
    },
  },
  gmail: {
    title: 'Google Workspace',
    docs: 'Google Workspace (Gmail API, domain-wide delegation with gmail.modify): the label is listed every interval.',
    fields: {
      mailbox: { label: 'User', hint: 'the abuse address, impersonated by the service account' },
      folder: { label: 'Label', hint: 'INBOX or a user label’s name', placeholder: 'INBOX' },
      processedFolder: {
        label: 'Processed label',
        hint: 'added, the label above removed',
        placeholder: 'Clawback Processed',
      },
      intervalSeconds: { label: 'Poll interval (s)', hint: '5 s at least' },
    },
  },
  ews: {
    title: 'Exchange (EWS)',
    docs: 'Exchange on-premises (EWS, impersonation or full access): the folder is listed every interval.',
    fields: {
      mailbox: { label: 'Mailbox', hint: 'the abuse mailbox’s SMTP address' },
      folder: { label: 'Folder', hint: 'inbox, junkemail or a folder’s name under the root', placeholder: 'inbox' },
      processedFolder: { label: 'Processed folder', hint: 'created visible', placeholder: 'Clawback Processed' },
      intervalSeconds: { label: 'Poll interval (s)', hint: '5 s at least' },
    },
  },
}

export type AbuseForm = {
  platform: string
  name: string
  connectorId: string
  mailbox: string
  folder: string
  processedFolder: string
  intervalSeconds: string
}
export const emptyAbuseForm = (platform: string): AbuseForm => ({
  platform,
  name: '',
  connectorId: '',
  mailbox: '',
  folder: '',
  processedFolder: '',
  intervalSeconds: '60',
})

/** The platform links of the sources page's "New abuse mailbox" card, with how many connectors each has. */
export const abusePlatformLinks = (readers: Awaited<ReturnType<typeof listMailReaders>>) =>
  html`<ul class="links">${Object.entries(ABUSE_PLATFORMS).map(([kind, p]) => {
    const n = readers.filter((r) => r.kind === kind).length
    return html`<li><a href="/sources/abuse-mailbox/new?platform=${kind}">${p.title}</a> <span class="muted">(${n} connector${n === 1 ? '' : 's'})</span></li>`
  })}</ul>`

/**
 * The setup page of one platform's abuse mailbox: its connectors only, its fields under its own
 * names, "Test connection" (the filled-in settings, nothing saved) and "Create".
 */
export const abuseMailboxFormPage = (
  c: Context<AppEnv>,
  readers: Awaited<ReturnType<typeof listMailReaders>>,
  v: AbuseForm,
  opts: { errors?: FormErrors; test?: AbuseProbe; status?: number } = {},
) => {
  const p = ABUSE_PLATFORMS[v.platform]!
  const errors = opts.errors ?? {}
  const mine = readers.filter((r) => r.kind === v.platform)
  const input = (name: Field, spec: FieldSpec): Html =>
    html`<label>${spec.label} <input name="${name}" value="${v[name]}"${
      name === 'mailbox'
        ? html` type="email" required maxlength="320"`
        : name === 'intervalSeconds'
          ? html` type="number" min="5" max="86400"`
          : html` maxlength="200"`
    }${spec.placeholder ? html` placeholder="${spec.placeholder}"` : ''}> <span class="muted">${spec.hint}</span>${fieldError(errors, name)}</label>`
  const body = html`<div class="toolbar"><h1>New abuse mailbox: ${p.title}</h1><nav class="links"><a href="/sources">Sources</a></nav></div>
<section class="card" id="abuse-setup" data-platform="${v.platform}"><p class="muted">${p.docs} Reports are moved to the processed ${v.platform === 'gmail' ? 'label' : 'folder'} once stored, so none is read twice. See docs/abuse-mailboxes.md.</p>${formError(errors)}${
    mine.length === 0
      ? html`<p class="muted">Add a ${p.title} connector first (management console → Connections).</p>`
      : html`<form method="post" action="/sources/abuse-mailbox">${csrfField(c)}<input type="hidden" name="platform" value="${v.platform}">
    <label>Name <input name="name" value="${v.name}" maxlength="200">${fieldError(errors, 'name')}</label>
    <label>Connector <select name="connectorId">${mine.map((r) => html`<option value="${r.id}"${String(r.id) === v.connectorId ? html` selected` : ''}>${r.name} (${r.kind})${r.isEnabled ? '' : ' — disabled'}</option>`)}</select>${fieldError(errors, 'connectorId')}</label>
    ${(Object.entries(p.fields) as [Field, FieldSpec][]).map(([name, spec]) => input(name, spec))}
    <button formaction="/sources/abuse-mailbox/test">Test connection</button> <button class="primary">Create abuse mailbox</button>
  </form>`
  }${opts.test ? html`<p class="notice ${opts.test.ok ? 'ok' : 'bad'}" role="status">${opts.test.message}</p>` : ''}</section>`
  return page(c, `New abuse mailbox: ${p.title}`, body, opts.status ?? 200)
}
