import { createWriteStream, mkdirSync, renameSync } from 'node:fs'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { Context } from 'hono'
import { readBackupHeader } from '../../../appliance/src/backup/read-backup.ts'
import { opsPaths } from '../../../appliance/src/ops/paths.ts'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { appendAudit } from '../../../core/src/domain/audit/append-audit.ts'
import { AppError } from '../../../core/src/errors.ts'
import { backupList } from './backup-list.ts'

/** POST /backups/upload — stores an uploaded backup beside the others (header checked; verify it next). Audited. */
export const backupUpload = async (c: Context<AppEnv>) => {
  const body = await c.req.parseBody()
  const file = body.file
  if (!(file instanceof File) || file.size === 0)
    return backupList(c, { error: 'Choose a backup file to upload.' }, 422)
  const dir = opsPaths(c.var.deps.config.dataDir).backups
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const base = path
    .basename(file.name)
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/(\.cbk)?$/, '.cbk')
  const partial = path.join(dir, `${base}.partial`)
  await pipeline(Readable.fromWeb(file.stream() as never), createWriteStream(partial, { mode: 0o600 }))
  try {
    readBackupHeader(partial)
  } catch (err) {
    const { rmSync } = await import('node:fs')
    rmSync(partial, { force: true })
    if (err instanceof AppError) return backupList(c, { error: `${file.name}: ${err.message}` }, 422)
    throw err
  }
  renameSync(partial, path.join(dir, base))
  await c.var.deps.db.transaction((tx) =>
    appendAudit(tx, c.var.actor!, {
      action: 'backup.upload',
      objectType: 'backup',
      objectId: base,
      after: { size: file.size },
    }),
  )
  return backupList(c, { notice: `Uploaded ${base}. Verify it before restoring.` })
}
