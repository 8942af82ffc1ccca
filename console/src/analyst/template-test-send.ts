import type { Context } from 'hono'
import { html } from 'hono/html'
import { z } from 'zod'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { sendTestNotification } from '../../../core/src/domain/notification-templates/send-test-notification.ts'
import { AppError } from '../../../core/src/errors.ts'
import { type FormErrors, idParam, one, readForm } from '../forms.ts'
import { isHtmx } from '../htmx.ts'
import { findTemplate, type TestSendState, templatePage } from './template-edit.ts'

const isEmail = (s: string) => s.length <= 320 && z.email().safeParse(s).success

/**
 * POST /responses/templates/:id/test-send — the saved template, rendered with the sample incident,
 * sent through the chosen e-mail connector by the same domain call as the API's test send. The
 * relay's answer is shown in #test-send-result (htmx) or on the editor page.
 */
export const templateTestSend = async (c: Context<AppEnv>) => {
  const id = idParam(c)
  const t = await findTemplate(c, id)
  const f = await readForm(c)
  const s: TestSendState = { connectorId: one(f, 'connectorId'), to: one(f, 'to'), errors: {} }
  const errors: FormErrors = {}
  if (!/^[1-9]\d{0,15}$/.test(s.connectorId)) errors.connectorId = 'choose an e-mail connector'
  if (!isEmail(s.to)) errors.to = 'must be an e-mail address'
  let status = 200
  if (Object.keys(errors).length === 0) {
    try {
      const r = await sendTestNotification(c.var.deps.db, c.var.deps.keyring, c.var.deps.log, c.var.actor!, id, {
        connectorId: Number(s.connectorId),
        to: s.to,
      })
      s.result = r.sent
        ? html`<p class="notice ok" role="status">Sent to ${s.to}.</p>`
        : html`<p class="error" role="alert">Not sent: ${r.error ?? `the relay refused ${r.rejected.join(', ')}`}</p>`
    } catch (err) {
      // a connector that is gone or disabled is the form's problem, not a server error
      if (!(err instanceof AppError) || !['NOT_FOUND', 'UNAVAILABLE'].includes(err.code)) throw err
      errors.connectorId = err.message
    }
  }
  if (Object.keys(errors).length) {
    status = 422
    s.errors = errors
    s.result = html`<p class="error" role="alert">${Object.entries(errors)
      .map(([k, v]) => `${k}: ${v}`)
      .join('; ')}</p>`
  }
  if (isHtmx(c)) return c.html(s.result ?? '', status as 200)
  return templatePage(c, id, t, { testSend: s, status, isBuiltin: t.isBuiltin })
}
