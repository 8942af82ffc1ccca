import type { AnyJobDef } from './define-job.ts'
import { alertMatchWorker } from './handlers/alert-match.ts'
import { incidentReevaluateWorker } from './handlers/incident-reevaluate.ts'
import { incidentsCompactCountsWorker } from './handlers/incidents-compact-counts.ts'
import { notificationEmailWorker } from './handlers/notification-email.ts'
import { responseRunWorker } from './handlers/response-run.ts'
import { sessionsPurgeWorker } from './handlers/sessions-purge.ts'

/**
 * Every core job with its handler: explicit, greppable, no glob. Only workers (and pg-boss queue
 * creation) import this list; enqueuing imports a definition (`jobs/<name>.ts`) alone. Jobs of other
 * layers (appliance/) are added by the process entry (`console/src/mounts.ts` `mounts.jobs`), so
 * core never imports them.
 */
export const ALL_JOBS: AnyJobDef[] = [
  sessionsPurgeWorker,
  alertMatchWorker,
  incidentsCompactCountsWorker,
  responseRunWorker,
  incidentReevaluateWorker,
  notificationEmailWorker,
]
