import { z } from 'zod'
import { reevaluateIncidents } from '../domain/matching/reevaluate-incidents.ts'
import { defineJob } from './define-job.ts'

/**
 * Drains the incidents whose fields, disposition, state, score or severity changed (marked by a
 * trigger, which also NOTIFYs `clawback_reevaluate`: the worker sends this job at once; the
 * schedule is the safety net). Runs until nothing is pending.
 */
export const incidentReevaluateJob = defineJob({
  name: 'incident.reevaluate',
  payload: z.object({}).passthrough(),
  queue: { retryLimit: 5, retryDelay: 5, retryBackoff: true, expireInSeconds: 600 },
  cron: '* * * * *',
  notifyChannel: 'clawback_reevaluate',
  async run(_data, { db, boss }) {
    let total = 0
    for (;;) {
      const { incidents } = await reevaluateIncidents(db, boss)
      total += incidents
      if (incidents === 0) return { incidents: total }
    }
  },
})
