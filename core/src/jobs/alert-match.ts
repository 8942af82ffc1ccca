import { z } from 'zod'
import { jobSpec } from './define-job.ts'

/**
 * Evaluates an intake batch's alerts against their sources' enabled match conditions and turns
 * matches into response runs (handler: handlers/alert-match.ts → domain/matching/match-alerts.ts).
 * One per linker batch, enqueued in the linker's transaction; idempotent.
 */
export const alertMatchJob = jobSpec({
  name: 'alert.match',
  payload: z.object({
    alerts: z
      .array(z.object({ alertId: z.number().int().positive(), incidentId: z.number().int().positive().optional() }))
      .min(1)
      .max(10_000),
  }),
  queue: {
    retryLimit: 5,
    retryDelay: 10,
    retryBackoff: true,
    expireInSeconds: 300,
    deadLetter: 'alert.match.dlq',
    notify: true,
  },
})
