import type { AnyJobDef } from '../../../core/src/jobs/define-job.ts'
import { backupCreateWorker } from './handlers/backup-create.ts'
import { backupScheduleWorker } from './handlers/backup-schedule.ts'

/**
 * The appliance's jobs with their handlers, added to core's by the process entry
 * (`console/src/mounts.ts`). Enqueuing imports a definition (`jobs/<name>.ts`) alone.
 */
export const APPLIANCE_JOBS: AnyJobDef[] = [backupCreateWorker, backupScheduleWorker]
