import { alertMatchJob } from './alert-match.ts'
import type { AnyJobDef } from './define-job.ts'
import { incidentReevaluateJob } from './incident-reevaluate.ts'
import { incidentsCompactCountsJob } from './incidents-compact-counts.ts'
import { notificationEmailJob } from './notification-email.ts'
import { responseRunJob } from './response-run.ts'
import { sessionsPurgeJob } from './sessions-purge.ts'

/**
 * Every core job: explicit, greppable, no glob. Jobs of other layers (appliance/) are added by the
 * process entry (`console/src/mounts.ts` `mounts.jobs`), so core never imports them.
 */
export const ALL_JOBS: AnyJobDef[] = [
  sessionsPurgeJob,
  alertMatchJob,
  incidentsCompactCountsJob,
  responseRunJob,
  incidentReevaluateJob,
  notificationEmailJob,
]
