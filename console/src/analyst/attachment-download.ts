import { Readable } from 'node:stream'
import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { getAttachment } from '../../../core/src/domain/attachments/get-attachment.ts'
import { idParam } from '../forms.ts'

/**
 * GET /attachments/:id: always a download (generic type, `attachment`, nosniff), never rendered.
 * The filename travels RFC 5987-encoded, so no CR/LF or quote in it can touch the header.
 */
export const attachmentDownload = async (c: Context<AppEnv>) => {
  const { attachment, blob } = await getAttachment(c.var.deps.db, c.var.actor!, idParam(c), c.var.deps.config.dataDir)
  const ascii = attachment.filename.replace(/[^\w.-]/g, '_')
  c.header('Content-Type', 'application/octet-stream')
  c.header(
    'Content-Disposition',
    `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(attachment.filename)}`,
  )
  c.header('X-Content-Type-Options', 'nosniff')
  c.header('Cache-Control', 'private, no-store')
  c.header('Content-Length', String(blob.size))
  return c.body(Readable.toWeb(blob.stream()) as ReadableStream)
}
