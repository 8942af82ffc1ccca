import { withHandler } from '../../../../core/src/jobs/define-job.ts'
import { takeScheduledBackup } from '../../backup/take-scheduled-backup.ts'
import { backupScheduleJob } from '../backup-schedule.ts'

export const backupScheduleWorker = withHandler(backupScheduleJob, (_data, ctx) => takeScheduledBackup(ctx))
