import { renameSync, rmSync } from 'node:fs'
import path from 'node:path'
import type { Context } from 'hono'
import { readBackupHeader } from '../../../appliance/src/backup/read-backup.ts'
import { opsPaths } from '../../../appliance/src/ops/paths.ts'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { appendAudit } from '../../../core/src/domain/audit/append-audit.ts'
import { AppError } from '../../../core/src/errors.ts'
import { assertCan } from '../../../core/src/policy/index.ts'
import { redirect } from '../htmx.ts'
import { backupList } from './backup-list.ts'
import { receiveUpload } from './receive-upload.ts'

/** POST /backups/upload — stores an uploaded backup beside the others (streamed when sent raw; header checked; verify it next). Audited. */
export const backupUpload = async (c: Context<AppEnv>) => {
  assertCan(c.var.actor!, 'system.manage')
  const dir = opsPaths(c.var.deps.config.dataDir).backups
  const tmp = path.join(dir, `.upload-${Date.now()}`)
  const upload = await receiveUpload(c, tmp)
  if (!upload) return backupList(c, { error: 'Choose a backup file to upload.' }, 422)
  const base = path
    .basename(upload.originalName)
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/(\.cbk)?$/, '.cbk')
  try {
    readBackupHeader(tmp)
  } catch (err) {
    rmSync(tmp, { force: true })
    if (!(err instanceof AppError)) throw err
    if (upload.isStreamed) return redirect(c, '/backups?refused=1')
    return backupList(c, { error: `${upload.originalName}: ${err.message}` }, 422)
  }
  renameSync(tmp, path.join(dir, base))
  await c.var.deps.db.transaction((tx) =>
    appendAudit(tx, c.var.actor!, {
      action: 'backup.upload',
      objectType: 'backup',
      objectId: base,
      after: { size: upload.size },
    }),
  )
  if (upload.isStreamed) return redirect(c, `/backups?uploaded=${encodeURIComponent(base)}`)
  return backupList(c, { notice: `Uploaded ${base}. Verify it before restoring.` })
}
