import type { Context } from 'hono'
import { html } from 'hono/html'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { listEmailConnectors } from '../../../core/src/domain/connectors/list-email-connectors.ts'
import { listNotificationTemplates } from '../../../core/src/domain/notification-templates/list-notification-templates.ts'
import { AppError } from '../../../core/src/errors.ts'
import { assertCan } from '../../../core/src/policy/index.ts'
import { csrfField, type FormErrors, fieldError, formError, idParam } from '../forms.ts'
import type { Html } from '../views/layout.ts'
import { page } from '../views/layout.ts'
import { placeholderList, type TemplateDraft, templateForm, templatePreview } from '../views/template-form.ts'

/** The test-send form's values, errors and the relay's answer (shown in #test-send-result). */
export type TestSendState = { connectorId: string; to: string; errors: FormErrors; result?: Html }

/** A stored template, or NOT_FOUND. @throws FORBIDDEN (sources.read), NOT_FOUND */
export const findTemplate = async (c: Context<AppEnv>, id: number) => {
  const row = (await listNotificationTemplates(c.var.deps.db, c.var.actor!)).find((t) => t.id === id)
  if (!row) throw new AppError('NOT_FOUND', 'notification template not found')
  return row
}

const testSendForm = async (c: Context<AppEnv>, id: number, s: TestSendState) => {
  const options = await listEmailConnectors(c.var.deps.db, c.var.actor!)
  const action = `/responses/templates/${id}/test-send`
  return html`<section class="card"><h2>Send test</h2>
<p class="muted">Renders the saved template with the sample incident and sends it to one address.</p>
<form method="post" action="${action}" hx-post="${action}" hx-target="#test-send-result" hx-swap="innerHTML" class="compact">${csrfField(c)}
  <label>Connector <select name="connectorId">${options.map(
    (o) =>
      html`<option value="${o.id}"${String(o.id) === s.connectorId ? html` selected` : ''}>${o.name} (${o.kind})</option>`,
  )}</select>${fieldError(s.errors, 'connectorId')}</label>
  ${options.length ? '' : html`<p class="empty">No enabled e-mail connector; an administrator adds one in the management console.</p>`}
  <label>To <input name="to" type="email" value="${s.to}" required maxlength="320">${fieldError(s.errors, 'to')}</label>
  <div class="actions"><button>Send test</button></div>
</form><div id="test-send-result" aria-live="polite">${s.result ?? ''}</div></section>`
}

/**
 * The editor of a new (id undefined) or stored template: form, placeholders beside it, the preview
 * of the draft, the test send and delete (stored, with sources.write). Re-rendered on 422.
 */
export const templatePage = async (
  c: Context<AppEnv>,
  id: number | undefined,
  draft: TemplateDraft,
  opts: { errors?: FormErrors; status?: number; testSend?: TestSendState; isBuiltin?: boolean } = {},
) => {
  const canWrite = c.var.actor!.permissions.has('sources.write')
  const errors = opts.errors ?? {}
  const base = id ? `/responses/templates/${id}` : '/responses/templates'
  const title = id ? draft.name || 'Template' : 'New notification template'
  return page(
    c,
    title,
    html`<p class="crumbs"><a href="/sources">Sources</a> › <a href="/responses/templates">Notification templates</a> › ${id ? title : 'New'}</p>
<h1>${title}${opts.isBuiltin ? html` <span class="badge">built-in</span>` : ''}</h1>
${c.req.query('saved') ? html`<p class="notice ok" role="status">Saved.</p>` : ''}${formError(errors)}
<div class="grid side">
<section class="card">${templateForm(c, base, id ? `${base}/preview` : '/responses/templates/preview', draft, errors, canWrite)}</section>
<aside class="card">${placeholderList()}</aside>
</div>
<section class="card" id="preview" aria-live="polite">${templatePreview(draft)}</section>
${id && canWrite ? testSendForm(c, id, opts.testSend ?? { connectorId: '', to: '', errors: {} }) : ''}
${
  id && canWrite && !opts.isBuiltin
    ? html`<form method="post" action="${base}/delete" class="inline">${csrfField(c)}<button class="danger" data-confirm="Delete this template? Match conditions that send it will fail.">Delete template</button></form>`
    : ''
}`,
    opts.status ?? 200,
  )
}

/** GET /responses/templates/new */
export const templateNew = (c: Context<AppEnv>) => {
  assertCan(c.var.actor!, 'sources.write')
  return templatePage(c, undefined, { name: '', subject: '', body: '' })
}

/** GET /responses/templates/:id */
export const templateEdit = async (c: Context<AppEnv>) => {
  const t = await findTemplate(c, idParam(c))
  return templatePage(c, t.id, t, { isBuiltin: t.isBuiltin })
}
