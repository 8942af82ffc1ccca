import type { Context } from 'hono'
import { html } from 'hono/html'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { listNotificationTemplates } from '../../../core/src/domain/notification-templates/list-notification-templates.ts'
import { when } from '../forms.ts'
import { page } from '../views/layout.ts'

/** GET /responses/templates — the e-mail notification templates the email.notify response sends. */
export const templateList = async (c: Context<AppEnv>) => {
  const rows = await listNotificationTemplates(c.var.deps.db, c.var.actor!)
  const canWrite = c.var.actor!.permissions.has('sources.write')
  return page(
    c,
    'Notification templates',
    html`<p class="crumbs"><a href="/sources">Sources</a> › Notification templates</p>
<div class="toolbar"><h1>Notification templates</h1>${canWrite ? html`<a class="button primary" href="/responses/templates/new">New template</a>` : ''}</div>
<p class="muted">Plain-text e-mails the "E-mail notification" response sends; chosen per match condition.</p>
<section class="card flush"><table class="dense"><thead><tr><th>Name</th><th>Subject</th><th>Updated</th></tr></thead><tbody>${rows.map(
      (t) =>
        html`<tr><td><a href="/responses/templates/${t.id}">${t.name}</a>${t.isBuiltin ? html` <span class="badge">built-in</span>` : ''}</td><td class="mono">${t.subject}</td><td class="muted">${when(t.updatedAt)}</td></tr>`,
    )}</tbody></table>${rows.length ? '' : html`<p class="empty pad">No templates.</p>`}</section>`,
  )
}
