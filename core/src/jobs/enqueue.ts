import { sql } from 'drizzle-orm'
import { fromDrizzle, type PgBoss } from 'pg-boss'
import type { DbOrTx } from '../db/client.ts'
import type { JobSpec } from './define-job.ts'

/** pg-boss's schema in our database. */
export const BOSS_SCHEMA = 'pgboss'

/**
 * Enqueues a job inside the caller's transaction: it exists if and only if the caller's write
 * commits. The payload is validated first, so a bad payload fails the write, not the worker.
 * The one enqueue path: takes a job's definition (never its handler). Kept apart from boss.ts (which lists every job): domain code that enqueues must not import the
 * job list, or job → domain → boss → job list is an import cycle.
 */
export const enqueue = async <P>(
  boss: PgBoss,
  tx: DbOrTx,
  job: JobSpec<P>,
  data: P,
  options: { singletonKey?: string; startAfter?: number } = {},
) => boss.send(job.name, job.payload.parse(data) as object, { ...options, db: fromDrizzle(tx as never, sql as never) })
