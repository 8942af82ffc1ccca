import { Readable } from 'node:stream'
import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { getOriginalMessage } from '../../../core/src/domain/alerts/get-original-message.ts'
import { idParam } from '../forms.ts'

/**
 * GET /alerts/:id/original: the raw .eml as a download only. A generic binary type plus
 * `attachment` and nosniff, so no browser ever renders the (hostile) message as a page.
 */
export const alertOriginal = async (c: Context<AppEnv>) => {
  const { blob, filename } = await getOriginalMessage(
    c.var.deps.db,
    c.var.actor!,
    idParam(c),
    c.var.deps.config.dataDir,
  )
  c.header('Content-Type', 'application/octet-stream')
  c.header('Content-Disposition', `attachment; filename="${filename.replace(/[^\w.-]/g, '_')}"`)
  c.header('X-Content-Type-Options', 'nosniff')
  c.header('Cache-Control', 'private, no-store')
  c.header('Content-Length', String(blob.size))
  return c.body(Readable.toWeb(blob.stream()) as ReadableStream)
}
