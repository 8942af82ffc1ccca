import { z } from 'zod'
import { jobSpec } from './define-job.ts'

/**
 * Drains the incidents whose fields, disposition, state, score or severity changed (marked by a
 * trigger, which also NOTIFYs `clawback_reevaluate`: the worker sends this job at once; the
 * schedule is the safety net). Runs until nothing is pending.
 */
export const incidentReevaluateJob = jobSpec({
  name: 'incident.reevaluate',
  payload: z.object({}).passthrough(),
  queue: { retryLimit: 5, retryDelay: 5, retryBackoff: true, expireInSeconds: 600, notify: true },
  cron: '* * * * *',
  notifyChannel: 'clawback_reevaluate',
})
