import type { Context } from 'hono'
import { html } from 'hono/html'
import type { AppEnv } from '../../../core/src/api/env.ts'
import type { getAbuseMailbox } from '../../../core/src/domain/abuse/get-abuse-mailbox.ts'
import { csrfField } from '../forms.ts'

type Mailbox = Awaited<ReturnType<typeof getAbuseMailbox>>
export type AbuseTestResult = { ok: boolean; message: string }

const at = (iso: string | null) => (iso ? iso.slice(0, 16).replace('T', ' ') : 'never')

/** An abuse mailbox's card on its source page: what it reads, its health line, and "Test connection". */
export const abuseMailboxCard = (c: Context<AppEnv>, m: Mailbox, canWrite: boolean, test?: AbuseTestResult) => {
  const s = m.settings as { mailbox: string; folder: string; processedFolder: string; intervalSeconds: number }
  const h = m.health
  return html`<h2>Abuse mailbox</h2>
  <dl class="facts"><dt>Mailbox</dt><dd class="mono">${s.mailbox}</dd><dt>Folder</dt><dd>${s.folder} → processed into ${s.processedFolder}</dd><dt>Interval</dt><dd>${s.intervalSeconds} s${h.mode === 'idle' ? ' (IMAP IDLE: new mail is read at once)' : ''}</dd></dl>
  <p class="health" id="abuse-health">Last poll ${at(h.lastPollAt)} · backlog ${h.backlog ?? '—'} · processed ${h.processed}${
    h.lastError
      ? html` · <span class="badge bad">error</span> ${h.lastError} (${h.failures} failure${h.failures === 1 ? '' : 's'}, ${at(h.lastErrorAt)})`
      : ''
  }</p>
  ${canWrite ? html`<form method="post" action="/sources/${m.id}/test" class="compact">${csrfField(c)}<button>Test connection</button></form>` : ''}
  ${test ? html`<p class="notice ${test.ok ? 'ok' : 'bad'}" role="status">${test.message}</p>` : ''}`
}
