import { rmSync } from 'node:fs'
import { z } from 'zod'
import type { Db, DbOrTx } from '../../../core/src/db/client.ts'
import { appendAudit } from '../../../core/src/domain/audit/append-audit.ts'
import { AppError } from '../../../core/src/errors.ts'
import type { Actor } from '../../../core/src/policy/actor.ts'
import { assertCan } from '../../../core/src/policy/index.ts'
import { readSetting, writeSetting } from '../../../core/src/settings/settings-store.ts'
import { backupFile, listBackups } from './list-backups.ts'

/** Scheduled backups: off, daily at `hour` (UTC), or weekly on `weekday` (0 = Sunday); keep `retention` of them. */
export const ZBackupSchedule = z.object({
  frequency: z.enum(['off', 'daily', 'weekly']).default('off'),
  hour: z.number().int().min(0).max(23).default(2),
  weekday: z.number().int().min(0).max(6).default(0),
  retention: z.number().int().min(1).max(365).default(7),
})
export type BackupSchedule = z.infer<typeof ZBackupSchedule>
export const SCHEDULE_KEY = 'backup.schedule'

export const readBackupSchedule = (db: DbOrTx) => readSetting(db, SCHEDULE_KEY, ZBackupSchedule)

/** Saves the schedule. Audited. @throws FORBIDDEN, INVALID_REQUEST */
export const setBackupSchedule = async (db: Db, actor: Actor, input: unknown) => {
  assertCan(actor, 'system.manage')
  const parsed = ZBackupSchedule.safeParse(input)
  if (!parsed.success)
    throw new AppError(
      'INVALID_REQUEST',
      `${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`,
    )
  await db.transaction(async (tx) => {
    const before = await readBackupSchedule(tx)
    await writeSetting(tx, SCHEDULE_KEY, parsed.data, actor.userId)
    await appendAudit(tx, actor, {
      action: 'backup.schedule',
      objectType: 'setting',
      objectId: SCHEDULE_KEY,
      before,
      after: parsed.data,
    })
  })
  return parsed.data
}

/** Whether a scheduled backup is due at `now` (the hourly tick) given the last scheduled one. */
export const isBackupDue = (s: BackupSchedule, now: Date, lastScheduledAt: Date | undefined) => {
  if (s.frequency === 'off' || now.getUTCHours() !== s.hour) return false
  if (s.frequency === 'weekly' && now.getUTCDay() !== s.weekday) return false
  return !lastScheduledAt || now.getTime() - lastScheduledAt.getTime() > 20 * 3600_000
}

/** Deletes the oldest scheduled backups beyond the retention count; manual and pre-upgrade ones are kept. */
export const pruneScheduledBackups = (dataDir: string, retention: number) => {
  const scheduled = listBackups(dataDir).filter((b) => b.trigger === 'scheduled')
  const gone = scheduled.slice(retention)
  for (const b of gone) rmSync(backupFile(dataDir, b.name))
  return gone.map((b) => b.name)
}
