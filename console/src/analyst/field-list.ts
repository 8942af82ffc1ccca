import type { Context } from 'hono'
import { html } from 'hono/html'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { FIELD_KINDS, listFields } from '../../../core/src/domain/fields/list-fields.ts'
import { csrfField, type FormErrors, fieldError, formError } from '../forms.ts'
import { adminPage } from '../views/admin.ts'

export type FieldValues = { name: string; kind: string; options: string }

/**
 * The incident fields page: built-ins (options editable) and custom fields (renamable,
 * deletable), each edited in place, plus the create form. `editing` re-shows one row's errors.
 */
export const fieldPage = async (
  c: Context<AppEnv>,
  opts: {
    values?: FieldValues
    errors?: FormErrors
    editing?: { id: number; errors: FormErrors; values?: FieldValues }
    status?: number
  } = {},
) => {
  const fields = await listFields(c.var.deps.db, c.var.actor!)
  const v = opts.values ?? { name: '', kind: 'text', options: '' }
  const errors = opts.errors ?? {}
  return adminPage(
    c,
    'Incident fields',
    html`${c.req.query('saved') ? html`<p class="notice ok" role="status">Saved.</p>` : ''}
<div class="grid side">
<section class="card">
  <h1>Incident fields <span class="count">${fields.length}</span></h1>
  <table class="dense">
    <thead><tr><th>Name</th><th>Kind</th><th>Options (one per line)</th><th></th></tr></thead>
    <tbody>${fields.map((f) => {
      const e = opts.editing?.id === f.id ? opts.editing : undefined
      const name = e?.values ? e.values.name : f.name
      const options = e?.values ? e.values.options : f.options.join('\n')
      return html`<tr id="field-${f.id}">
      <td><form method="post" action="/admin/fields/${f.id}" id="field-form-${f.id}">${csrfField(c)}</form>
        ${f.isBuiltin ? html`${f.name} <span class="badge">built-in</span>` : html`<input form="field-form-${f.id}" name="name" value="${name}" aria-label="Name of ${f.name}" maxlength="100">`}
        ${e ? fieldError(e.errors, 'name') : ''}</td>
      <td>${f.kind}</td>
      <td>${f.kind === 'select' ? html`<textarea form="field-form-${f.id}" name="options" rows="${Math.min(6, Math.max(2, f.options.length))}" aria-label="Options of ${f.name}">${options}</textarea>` : html`<span class="muted">—</span>`}
        ${e ? html`${fieldError(e.errors, 'options')}${formError(e.errors)}` : ''}</td>
      <td class="right nowrap"><button form="field-form-${f.id}" class="small">Save</button>
        ${f.isBuiltin ? '' : html`<form method="post" action="/admin/fields/${f.id}/delete" class="inline" data-confirm="Delete the field ${f.name} and its values on every incident?">${csrfField(c)}<button class="small danger">Delete</button></form>`}</td>
    </tr>`
    })}</tbody>
  </table>
</section>
<section class="card">
  <h2>New custom field</h2>
  ${formError(errors)}
  <form method="post" action="/admin/fields">
    ${csrfField(c)}
    <label>Name <input name="name" value="${v.name}" required maxlength="100">${fieldError(errors, 'name')}</label>
    <label>Kind <select name="kind">${FIELD_KINDS.map((k) => html`<option${k === v.kind ? html` selected` : ''}>${k}</option>`)}</select>${fieldError(errors, 'kind')}</label>
    <label>Options for a select (one per line) <textarea name="options" rows="4">${v.options}</textarea>${fieldError(errors, 'options')}</label>
    <button class="primary">Add field</button>
  </form>
</section>
</div>`,
    opts.status ?? 200,
  )
}

/** GET /admin/fields */
export const fieldList = (c: Context<AppEnv>) => fieldPage(c)
