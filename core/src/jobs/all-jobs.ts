import { backupCreateJob, backupScheduleJob } from '../../../appliance/src/jobs/backup-jobs.ts'
import type { JobDef } from './define-job.ts'
import { sessionsPurgeJob } from './sessions-purge.ts'

/** Every job the workers run: explicit, greppable, no glob. */
export const ALL_JOBS: JobDef<any>[] = [sessionsPurgeJob, backupCreateJob, backupScheduleJob]
