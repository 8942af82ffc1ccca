import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { requestResponseRun } from '../../../core/src/domain/responses/request-response-run.ts'
import { AppError } from '../../../core/src/errors.ts'
import { idParam } from '../forms.ts'
import { redirect } from '../htmx.ts'
import { quarantinePreviewPage } from './incident-quarantine-preview.ts'

/** POST /incidents/:id/quarantine — quarantine every previewed mailbox in one action; back to the incident's responses. */
export const incidentQuarantine = async (c: Context<AppEnv>) => {
  const id = idParam(c)
  const form = await c.req.parseBody()
  try {
    await requestResponseRun(c.var.deps.db, c.var.deps.boss, c.var.actor!, id, {
      type: 'mail.quarantine',
      params: { followForwards: form.followForwards === '1' },
    })
  } catch (err) {
    if (!(err instanceof AppError) || !['FORBIDDEN', 'INVALID_REQUEST'].includes(err.code)) throw err
    return quarantinePreviewPage(c, id, { _: err.message }, 422)
  }
  return redirect(c, `/incidents/${id}#responses`)
}
