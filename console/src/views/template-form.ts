import type { Context } from 'hono'
import { html } from 'hono/html'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { renderSampleNotification } from '../../../core/src/domain/notification-templates/render-sample-notification.ts'
import { PLACEHOLDERS, unknownPlaceholders } from '../../../core/src/domain/responses/render-template.ts'
import { csrfField, type FormBody, type FormErrors, fieldError, one } from '../forms.ts'

/** What the template editor submits. */
export type TemplateDraft = { name: string; subject: string; body: string }

const LIMITS = { name: 200, subject: 998, body: 20_000 } as const

/** Reads the editor's fields; the body keeps its lines (CRLF from the browser becomes LF). */
export const draftFromForm = (f: FormBody): TemplateDraft => ({
  name: one(f, 'name'),
  subject: one(f, 'subject'),
  body: (f.body?.[0] ?? '').replace(/\r\n?/g, '\n'),
})

/**
 * The editor's validation, keyed by field: required, the API's length limits, a subject of one
 * line, and no `{{name}}` that is not a placeholder (the renderer would send it as written).
 */
export const checkDraft = (d: TemplateDraft): FormErrors => {
  const errors: FormErrors = {}
  for (const field of ['name', 'subject', 'body'] as const) {
    const unknown = field === 'name' ? [] : unknownPlaceholders(d[field])
    if (!d[field].trim()) errors[field] = 'must not be empty'
    else if (d[field].length > LIMITS[field]) errors[field] = `at most ${LIMITS[field]} characters`
    else if (field === 'subject' && /[\r\n]/.test(d.subject)) errors[field] = 'must be one line'
    else if (unknown.length)
      errors[field] = `unknown placeholder${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `{{${n}}}`).join(', ')}`
  }
  return errors
}

/** The draft rendered against the sample incident: what a test send delivers. */
export const templatePreview = (d: TemplateDraft) => {
  const r = renderSampleNotification(d)
  return html`<h2>Preview <small class="muted">sample incident #12345</small></h2>
<dl class="facts"><dt>Subject</dt><dd class="preview-subject">${r.subject}</dd></dl>
<pre class="code preview-body">${r.text}</pre>`
}

/** The placeholders beside the body: what each `{{name}}` becomes. */
export const placeholderList = () =>
  html`<h2>Placeholders</h2><dl class="facts placeholders">${Object.entries(PLACEHOLDERS).map(
    ([name, what]) => html`<dt class="mono">{{${name}}}</dt><dd>${what}</dd>`,
  )}</dl>`

/** The editor form; `action` saves, `previewAction` answers the preview (htmx: into #preview). */
export const templateForm = (
  c: Context<AppEnv>,
  action: string,
  previewAction: string,
  d: TemplateDraft,
  errors: FormErrors,
  canWrite: boolean,
) => {
  const ro = canWrite ? '' : html` readonly`
  return html`<form method="post" action="${action}" class="compact template-form">${csrfField(c)}
  <label>Name <input name="name" value="${d.name}" required maxlength="${LIMITS.name}"${ro}>${fieldError(errors, 'name')}</label>
  <label>Subject <input name="subject" value="${d.subject}" required maxlength="${LIMITS.subject}"${ro}>${fieldError(errors, 'subject')}</label>
  <label>Body (plain text) <textarea name="body" rows="14" required maxlength="${LIMITS.body}" class="mono"${ro}>${d.body}</textarea>${fieldError(errors, 'body')}</label>
  <div class="actions">${canWrite ? html`<button class="primary">Save template</button>` : ''}
  <button formaction="${previewAction}" hx-post="${previewAction}" hx-target="#preview" hx-swap="innerHTML">Preview</button></div>
</form>`
}
