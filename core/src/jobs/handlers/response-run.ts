import { executeResponseRun } from '../../domain/responses/execute-response-run.ts'
import { withHandler } from '../define-job.ts'
import { responseRunJob } from '../response-run.ts'

export const responseRunWorker = withHandler(responseRunJob, ({ runId, action }, ctx) =>
  executeResponseRun(ctx, runId, action),
)
