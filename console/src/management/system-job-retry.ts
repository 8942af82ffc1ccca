import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { retryJob } from '../../../core/src/domain/jobs/retry-job.ts'
import { systemPage } from './system-page.ts'

/** POST /system/jobs/:queue/:id/retry — retries a failed job or re-drives a dead letter. Audited by the domain. */
export const systemJobRetry = async (c: Context<AppEnv>) => {
  const r = await retryJob(
    c.var.deps.db,
    c.var.deps.boss,
    c.var.actor!,
    c.req.param('queue') ?? '',
    c.req.param('id') ?? '',
  )
  return systemPage(c, `Job sent again to ${r.queue}.`)
}
