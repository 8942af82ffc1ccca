import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { idParam, readForm } from '../forms.ts'
import { isHtmx } from '../htmx.ts'
import { checkDraft, draftFromForm, templatePreview } from '../views/template-form.ts'
import { findTemplate, templatePage } from './template-edit.ts'

/**
 * POST /responses/templates/preview and /responses/templates/:id/preview — the draft in the form
 * rendered with the sample incident (nothing is saved). htmx gets the #preview fragment; without
 * htmx the editor comes back with the draft, its errors and the preview.
 */
export const templatePreviewShow = async (c: Context<AppEnv>) => {
  const id = c.req.param('id') === undefined ? undefined : idParam(c)
  const stored = id ? await findTemplate(c, id) : undefined
  const draft = draftFromForm(await readForm(c))
  if (isHtmx(c)) return c.html(templatePreview(draft))
  const errors = checkDraft(draft)
  return templatePage(c, id, draft, { errors, isBuiltin: stored?.isBuiltin })
}
