import { reevaluateIncidents } from '../../domain/matching/reevaluate-incidents.ts'
import { withHandler } from '../define-job.ts'
import { incidentReevaluateJob } from '../incident-reevaluate.ts'

/** Runs until nothing is pending. */
export const incidentReevaluateWorker = withHandler(incidentReevaluateJob, async (_data, { db, boss }) => {
  let total = 0
  for (;;) {
    const { incidents } = await reevaluateIncidents(db, boss)
    total += incidents
    if (incidents === 0) return { incidents: total }
  }
})
