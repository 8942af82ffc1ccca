import { Hono } from 'hono'
import { z } from 'zod'
import { listFailedJobs } from '../../domain/jobs/list-failed-jobs.ts'
import { retryJob } from '../../domain/jobs/retry-job.ts'
import { output } from '../describe.ts'
import type { AppEnv } from '../env.ts'
import { guard } from '../middleware/auth.ts'
import { data, ZFailedJob } from '../schemas.ts'
import { input, text } from '../validate.ts'

export const jobs = new Hono<AppEnv>()

jobs.get(
  '/api/v1/jobs/failed',
  guard({ auth: 'actor', permission: 'system.manage' }),
  output(200, data(z.array(ZFailedJob))),
  async (c) => c.json({ data: await listFailedJobs(c.var.deps.db, c.var.actor!) }),
)

jobs.post(
  '/api/v1/jobs/:queue/:id/retry',
  guard({ auth: 'actor', permission: 'system.manage' }),
  input('param', z.object({ queue: text(200).min(1), id: z.uuid() })),
  output(200, data(z.strictObject({ id: z.string(), queue: z.string() }))),
  async (c) => {
    const { queue, id } = c.req.valid('param')
    return c.json({ data: await retryJob(c.var.deps.db, c.var.deps.boss, c.var.actor!, queue, id) })
  },
)
