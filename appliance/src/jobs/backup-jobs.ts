import { z } from 'zod'
import { appendAudit } from '../../../core/src/domain/audit/append-audit.ts'
import { defineJob } from '../../../core/src/jobs/define-job.ts'
import { SYSTEM } from '../../../core/src/policy/actor.ts'
import { isBackupDue, pruneScheduledBackups, readBackupSchedule } from '../backup/backup-schedule.ts'
import { createBackup } from '../backup/create-backup.ts'
import { listBackups } from '../backup/list-backups.ts'
import { newOpId, readOp, trackOp } from '../ops/progress.ts'

/**
 * A backup requested in the console or by clawbackctl: runs on a worker, its progress in the
 * operation's status file (so closing the browser changes nothing). Idempotent: a retried job whose
 * operation already succeeded does nothing.
 */
export const backupCreateJob = defineJob({
  name: 'system.backup-create',
  payload: z.object({ opId: z.string().regex(/^[a-z0-9-]+$/), requestedBy: z.string().max(200) }),
  queue: { retryLimit: 1, retryDelay: 60, expireInSeconds: 6 * 3600, deadLetter: 'system.backup-create.dlq' },
  async run({ opId, requestedBy }, { db, keyring, dataDir, signal }) {
    if (readOp(dataDir, opId)?.state === 'succeeded') return { skipped: true }
    const actor = { ...SYSTEM, label: requestedBy }
    const r = await trackOp(dataDir, opId, 'backup', async (progress) => {
      const b = await createBackup({ db, keyring, dataDir, actor, trigger: 'manual', progress, signal })
      return { name: b.name, size: b.size, ms: b.ms }
    })
    return r
  },
})

/** Hourly tick: takes the scheduled backup when due, then applies the retention count. */
export const backupScheduleJob = defineJob({
  name: 'system.backup-schedule',
  payload: z.object({}).passthrough(),
  queue: { retryLimit: 2, retryDelay: 300, expireInSeconds: 6 * 3600, deadLetter: 'system.backup-schedule.dlq' },
  cron: '5 * * * *',
  async run(_data, { db, keyring, dataDir, signal }) {
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
  },
})

/** The appliance's jobs, added to core's by the process entry. */
export const APPLIANCE_JOBS = [backupCreateJob, backupScheduleJob]
