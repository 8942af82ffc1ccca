import { compactIncidentCounts } from '../../domain/incidents/compact-incident-counts.ts'
import { withHandler } from '../define-job.ts'
import { incidentsCompactCountsJob } from '../incidents-compact-counts.ts'

export const incidentsCompactCountsWorker = withHandler(incidentsCompactCountsJob, async (_data, { db }) => ({
  folded: await compactIncidentCounts(db),
}))
