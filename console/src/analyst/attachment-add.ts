import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { addAttachment } from '../../../core/src/domain/attachments/add-attachment.ts'
import { AppError } from '../../../core/src/errors.ts'
import { idParam } from '../forms.ts'
import { redirect } from '../htmx.ts'
import { incidentPage } from './incident-show.ts'
import { investigationPage } from './investigation-show.ts'

/**
 * POST /incidents/:id/attachments and /investigations/:id/attachments (multipart `file`): stores
 * the file by content hash (audited, in the timeline). Too large or empty: the page again, 422.
 */
export const attachmentAdd = (kind: 'incident' | 'investigation') => async (c: Context<AppEnv>) => {
  const id = idParam(c)
  const again = (message: string) =>
    kind === 'incident' ? incidentPage(c, id, { file: message }, 422) : investigationPage(c, id, { file: message }, 422)
  const file = (await c.req.parseBody()).file
  if (!(file instanceof File) || file.size === 0) return again('Choose a file to attach.')
  const { dataDir, maxAttachmentBytes } = c.var.deps.config
  try {
    await addAttachment(
      c.var.deps.db,
      c.var.actor!,
      kind === 'incident' ? { incidentId: id } : { investigationId: id },
      { filename: file.name, contentType: file.type, bytes: new Uint8Array(await file.arrayBuffer()) },
      { dataDir, maxBytes: maxAttachmentBytes },
    )
    return redirect(c, `/${kind === 'incident' ? 'incidents' : 'investigations'}/${id}`)
  } catch (err) {
    if (err instanceof AppError && (err.code === 'PAYLOAD_TOO_LARGE' || err.code === 'INVALID_REQUEST'))
      return again(err.message.replace(/^file: /, 'The file is '))
    throw err
  }
}
