import { z } from 'zod'
import { jobSpec } from '../../../core/src/jobs/define-job.ts'

/**
 * A backup requested in the console or by clawbackctl (handler: handlers/backup-create.ts): runs
 * on a worker, its progress in the operation's status file (so closing the browser changes
 * nothing). Idempotent: a retried job whose operation already succeeded does nothing.
 */
export const backupCreateJob = jobSpec({
  name: 'system.backup-create',
  payload: z.object({ opId: z.string().regex(/^[a-z0-9-]+$/), requestedBy: z.string().max(200) }),
  queue: { retryLimit: 1, retryDelay: 60, expireInSeconds: 6 * 3600, deadLetter: 'system.backup-create.dlq' },
})
