import { alertMatchJob } from './alert-match.ts'
import type { JobDef } from './define-job.ts'
import { sessionsPurgeJob } from './sessions-purge.ts'

/** Every job the workers run: explicit, greppable, no glob. */
export const ALL_JOBS: JobDef<any>[] = [sessionsPurgeJob, alertMatchJob]
