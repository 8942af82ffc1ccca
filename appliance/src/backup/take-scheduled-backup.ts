import type { Keyring } from '../../../core/src/crypto/master-secret.ts'
import type { Db } from '../../../core/src/db/client.ts'
import { appendAudit } from '../../../core/src/domain/audit/append-audit.ts'
import { SYSTEM } from '../../../core/src/policy/actor.ts'
import { newOpId, trackOp } from '../ops/progress.ts'
import { isBackupDue, pruneScheduledBackups, readBackupSchedule } from './backup-schedule.ts'
import { createBackup } from './create-backup.ts'
import { listBackups } from './list-backups.ts'

/**
 * The hourly tick: takes the scheduled backup when the schedule says it is due (once per period),
 * then deletes scheduled backups beyond the retention count (audited as `backup.prune`).
 */
export const takeScheduledBackup = async (deps: { db: Db; keyring: Keyring; dataDir: string; signal: AbortSignal }) => {
  const { db, keyring, dataDir, signal } = deps
  const schedule = await readBackupSchedule(db)
  const last = listBackups(dataDir).find((b) => b.trigger === 'scheduled')
  if (!isBackupDue(schedule, new Date(), last ? new Date(last.createdAt) : undefined)) return { due: false }
  const actor = { ...SYSTEM, label: 'scheduled backup' }
  const b = await trackOp(dataDir, newOpId('backup'), 'backup', (progress) =>
    createBackup({ db, keyring, dataDir, actor, trigger: 'scheduled', progress, signal }).then((x) => ({
      name: x.name,
      size: x.size,
    })),
  )
  const pruned = pruneScheduledBackups(dataDir, schedule.retention)
  if (pruned.length)
    await db.transaction((tx) =>
      appendAudit(tx, actor, { action: 'backup.prune', objectType: 'backup', after: { deleted: pruned } }),
    )
  return { due: true, ...b, pruned }
}
