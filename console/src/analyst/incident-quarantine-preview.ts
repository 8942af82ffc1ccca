import type { Context } from 'hono'
import { html } from 'hono/html'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { previewQuarantine } from '../../../core/src/domain/quarantine/preview-quarantine.ts'
import { csrfField, type FormErrors, formError, idParam } from '../forms.ts'
import { page } from '../views/layout.ts'

const ACTION_BADGE: Record<string, string> = { quarantine: '', exempt: 'ok', 'no connector': 'bad', done: 'ok' }

/** The preview page; shared by the GET and by the confirm form when it must show an error (422). */
export const quarantinePreviewPage = async (c: Context<AppEnv>, id: number, errors: FormErrors = {}, status = 200) => {
  const { db, keyring } = c.var.deps
  const p = await previewQuarantine({ db, keyring, log: c.var.log }, c.var.actor!, id, AbortSignal.timeout(60_000))
  return page(
    c,
    `Quarantine incident ${id}`,
    html`<h1>Quarantine incident <a href="/incidents/${id}">#${id}</a></h1>
<section class="card">
  <p>${p.counts.quarantine} mailbox${p.counts.quarantine === 1 ? '' : 'es'} will be searched and the message moved to quarantine${p.counts.exempt ? html`; ${p.counts.exempt} exempt` : ''}${p.counts.noConnector ? html`; ${p.counts.noConnector} without a mail connector` : ''}${p.counts.done ? html`; ${p.counts.done} already quarantined` : ''}. Copies forwarded inside the organisation are followed during the run.</p>
  ${formError(errors)}
  <form method="post" action="/incidents/${id}/quarantine" class="row">${csrfField(c)}
    <label><input type="checkbox" name="followForwards" value="1" checked> follow forwards</label>
    <button${p.counts.quarantine ? '' : html` disabled`}>Quarantine ${p.counts.quarantine} mailbox${p.counts.quarantine === 1 ? '' : 'es'}</button>
    <a href="/incidents/${id}">Cancel</a>
  </form>
  <table class="dense small"><thead><tr><th>Mailbox</th><th>Message-ID</th><th>Type</th><th>Via</th><th>Connector</th><th>Action</th></tr></thead><tbody>${p.mailboxes.map(
    (m) =>
      html`<tr><td class="mono">${m.mailbox}</td><td class="mono">${m.messageId ?? 'by sender, subject, time'}</td><td>${m.recipientType}</td><td class="mono">${m.via ?? ''}</td><td>${m.connector ?? ''}</td><td><span class="badge ${ACTION_BADGE[m.action] ?? ''}">${m.action}</span></td></tr>`,
  )}</tbody></table>
  ${p.mailboxes.length === 0 ? html`<p class="empty">The incident names no recipients.</p>` : ''}
</section>`,
    status,
  )
}

/** GET /incidents/:id/quarantine — which mailboxes a quarantine would touch, and the button that starts it. */
export const incidentQuarantinePreview = (c: Context<AppEnv>) => quarantinePreviewPage(c, idParam(c))
