import { z } from 'zod'
import { jobSpec } from './define-job.ts'

/** Deletes expired web sessions. Idempotent by nature; scheduled hourly. */
export const sessionsPurgeJob = jobSpec({
  name: 'sessions.purge',
  payload: z.object({}).passthrough(),
  queue: { retryLimit: 3, retryDelay: 60, expireInSeconds: 300, deadLetter: 'sessions.purge.dlq' },
  cron: '17 * * * *',
})
