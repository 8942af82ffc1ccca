import { z } from 'zod'
import { jobSpec } from './define-job.ts'

/**
 * Folds the delta rows the incident triggers append to incident_state_counts, so the tab counts
 * stay a read of a few rows however long nobody opens the list. Idempotent; every five minutes.
 */
export const incidentsCompactCountsJob = jobSpec({
  name: 'incidents.compact-counts',
  payload: z.object({}).passthrough(),
  queue: { retryLimit: 3, retryDelay: 60, expireInSeconds: 300, deadLetter: 'incidents.compact-counts.dlq' },
  cron: '*/5 * * * *',
})
