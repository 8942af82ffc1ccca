import { sql } from 'drizzle-orm'
import { fromDrizzle, PgBoss } from 'pg-boss'
import type { DbOrTx } from '../db/client.ts'
import type { Logger } from '../log.ts'
import type { AnyJobDef, JobDef } from './define-job.ts'

import { BOSS_SCHEMA } from './enqueue.ts'

export { BOSS_SCHEMA }

/**
 * Starts pg-boss in its own schema and makes sure every queue (and its dead-letter queue) exists,
 * so any role can enqueue. Only worker roles supervise and run schedules.
 */
export const startBoss = async (
  url: string,
  log: Logger,
  options: { supervise: boolean; max?: number; jobs?: AnyJobDef[]; roles?: Iterable<string> },
) => {
  const boss = new PgBoss({
    connectionString: url,
    schema: BOSS_SCHEMA,
    max: options.max ?? 4,
    supervise: options.supervise,
    schedule: options.supervise,
    application_name: 'clawback-jobs',
    // The instance registry (heartbeats) is how every node's roles show on the system page.
    instanceName: options.roles ? [...options.roles].join(',') : undefined,
    // Queues that opt in (`queue.notify`) wake their workers by LISTEN/NOTIFY the moment a job
    // commits, instead of at the next 1 s poll: an alert → match → response chain is two hops, and
    // two poll waits were most of the alert-to-quarantine latency (p50 3.5 s measured).
    useListenNotify: true,
  })
  boss.on('error', (err) => {
    // 57P01: PostgreSQL is shutting down (ours, at the end of a graceful stop, can close an idle
    // pooled connection before pg-boss's pool has let go of it). Worth a warning, not an error.
    if ((err as { code?: string }).code === '57P01')
      log.warn({ err: err.message }, 'job queue connection closed by a PostgreSQL shutdown')
    else log.error({ err }, 'job queue error')
  })
  await boss.start()
  // Imported here, not at the top: domain code imports `enqueue` from this module, and jobs import
  // domain code, so a static import of the job list would be an import cycle (a job evaluated
  // before its definition leaves a hole in ALL_JOBS).
  await ensureQueues(boss, options.jobs ?? (await import('./all-jobs.ts')).ALL_JOBS)
  return boss
}

export const ensureQueues = async (boss: PgBoss, jobs: AnyJobDef[]) => {
  for (const job of jobs) {
    const { deadLetter, ...policy } = job.queue
    if (deadLetter) await boss.createQueue(deadLetter, { retentionSeconds: 30 * 86400, deleteAfterSeconds: 30 * 86400 })
    await boss.createQueue(job.name, deadLetter ? { ...policy, deadLetter } : policy)
    // createQueue leaves an existing queue as it was: carry the notify opt-in to queues made
    // before it existed (an upgraded database).
    await boss.updateQueue(job.name, { notify: policy.notify ?? false })
  }
}

export { enqueue } from './enqueue.ts'

export type { PgBoss }
