import { createReadStream, statSync } from 'node:fs'
import { Readable } from 'node:stream'
import type { Context } from 'hono'
import { backupFile } from '../../../appliance/src/backup/list-backups.ts'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { appendAudit } from '../../../core/src/domain/audit/append-audit.ts'

/** GET /backups/:name/download — streams the encrypted file. Audited. */
export const backupDownload = async (c: Context<AppEnv>) => {
  const name = c.req.param('name') ?? ''
  const file = backupFile(c.var.deps.config.dataDir, name)
  await c.var.deps.db.transaction((tx) =>
    appendAudit(tx, c.var.actor!, { action: 'backup.download', objectType: 'backup', objectId: name }),
  )
  return c.body(Readable.toWeb(createReadStream(file)) as ReadableStream, 200, {
    'Content-Type': 'application/octet-stream',
    'Content-Length': String(statSync(file).size),
    'Content-Disposition': `attachment; filename="${name}"`,
  })
}
