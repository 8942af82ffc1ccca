import { withHandler } from '../../../../core/src/jobs/define-job.ts'
import { runBackupRequest } from '../../backup/run-backup-request.ts'
import { backupCreateJob } from '../backup-create.ts'

export const backupCreateWorker = withHandler(backupCreateJob, ({ opId, requestedBy }, ctx) =>
  runBackupRequest(ctx, opId, requestedBy),
)
