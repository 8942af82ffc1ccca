import { z } from 'zod'
import { jobSpec } from '../../../core/src/jobs/define-job.ts'

/** Hourly tick (handler: handlers/backup-schedule.ts): the scheduled backup when due, then retention. */
export const backupScheduleJob = jobSpec({
  name: 'system.backup-schedule',
  payload: z.object({}).passthrough(),
  queue: { retryLimit: 2, retryDelay: 300, expireInSeconds: 6 * 3600, deadLetter: 'system.backup-schedule.dlq' },
  cron: '5 * * * *',
})
