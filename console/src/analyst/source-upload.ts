import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import type { CsvRowError } from '../../../core/src/domain/intake/upload-csv.ts'
import { uploadCsv } from '../../../core/src/domain/intake/upload-csv.ts'
import { AppError } from '../../../core/src/errors.ts'
import { idParam } from '../forms.ts'
import { sourcePage } from './source-show.ts'

const MAX_BYTES = 10 * 1024 * 1024

/**
 * POST /sources/:id/upload (multipart `file`): stores every row as an alert on one new incident, or
 * rejects the whole file and shows the per-row report (422). The answer is the source page with
 * the outcome, not a redirect, so the report is shown exactly once.
 */
export const sourceUpload = async (c: Context<AppEnv>) => {
  const id = idParam(c)
  const body = await c.req.parseBody()
  const file = body.file
  if (!(file instanceof File) || file.size === 0)
    return sourcePage(c, id, { errors: { file: 'Choose a CSV file.' }, status: 422 })
  if (file.size > MAX_BYTES)
    return sourcePage(c, id, { errors: { file: 'The file is larger than 10 MB.' }, status: 422 })
  try {
    const r = await uploadCsv(
      c.var.deps.db,
      c.var.deps.boss,
      c.var.deps.keyring,
      c.var.actor!,
      id,
      await file.text(),
      file.name,
    )
    return sourcePage(c, id, { report: { ok: true, ...r } })
  } catch (err) {
    if (err instanceof AppError && err.code === 'INVALID_REQUEST') {
      return sourcePage(c, id, {
        report: {
          ok: false,
          message: err.message.replace(/^csv: /, ''),
          rows: (err.details?.rows as CsvRowError[]) ?? [],
        },
        status: 422,
      })
    }
    throw err
  }
}
