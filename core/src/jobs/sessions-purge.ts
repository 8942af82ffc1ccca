import { lt, sql } from 'drizzle-orm'
import { z } from 'zod'
import { sessions } from '../db/schema/index.ts'
import { defineJob } from './define-job.ts'

/** Deletes expired web sessions. Idempotent by nature; scheduled hourly. */
export const sessionsPurgeJob = defineJob({
  name: 'sessions.purge',
  payload: z.object({}).passthrough(),
  queue: { retryLimit: 3, retryDelay: 60, expireInSeconds: 300, deadLetter: 'sessions.purge.dlq' },
  cron: '17 * * * *',
  async run(_data, { db }) {
    const removed = await db
      .delete(sessions)
      .where(lt(sessions.expiresAt, sql`now()`))
      .returning({ id: sessions.idHash })
    return { removed: removed.length }
  },
})
