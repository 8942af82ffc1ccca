import { sql } from 'drizzle-orm'
import type { PgBoss } from 'pg-boss'
import { z } from 'zod'
import { ConnectorError } from '../connectors/errors.ts'
import { AppError } from '../errors.ts'
import { ALL_JOBS } from './all-jobs.ts'
import type { AnyJobDef, JobContext } from './define-job.ts'
import { BOSS_SCHEMA } from './enqueue.ts'

const PERMANENT = new Set(['auth', 'rejected', 'not_found'])

/** Retry vs dead-letter, decided in one place: bad input and permanent vendor errors never retry. */
export const settle = (err: unknown): 'failed' | 'deadletter' =>
  err instanceof z.ZodError ||
  (err instanceof AppError && err.code !== 'INTERNAL' && err.code !== 'UNAVAILABLE') ||
  (err instanceof ConnectorError && PERMANENT.has(err.kind))
    ? 'deadletter'
    : 'failed'

const toJobError = (err: unknown) => ({
  error: err instanceof Error ? err.name : 'Error',
  message: err instanceof Error ? err.message.slice(0, 2000) : String(err).slice(0, 2000),
  ...(err instanceof ConnectorError && err.retryAfterMs ? { retryAfterMs: err.retryAfterMs } : {}),
})

/**
 * A vendor said "not before" (429/503 Retry-After): pg-boss computes the next attempt's start from
 * the job row's retry_delay when the job is failed, so the delay is raised on the row first (never
 * lowered, and without backoff on top of the vendor's own figure).
 */
const deferRetry = (db: JobContext['db'], name: string, id: string, ms: number) =>
  db.execute(
    sql`UPDATE ${sql.raw(`${BOSS_SCHEMA}.job`)} SET retry_delay = GREATEST(retry_delay, ${Math.ceil(ms / 1000)}), retry_backoff = false
        WHERE name = ${name} AND id = ${id}::uuid`,
  )

/** Registers a worker per job and the cron schedules. Returns once polling has started. */
export const startWorkers = async (
  boss: PgBoss,
  deps: Omit<JobContext, 'signal' | 'log' | 'boss'> & { log: JobContext['log'] },
  concurrency: number,
  jobs: AnyJobDef[] = ALL_JOBS,
) => {
  for (const job of jobs) {
    // Burst: while fetches come back full (a backlog), fetch again at once instead of waiting for
    // the next poll — without it a queue drains at most `concurrency` jobs per second (measured:
    // the alert.match backlog of a 60 s intake benchmark took half an hour).
    const options = {
      batchSize: concurrency,
      perJobResults: true as const,
      pollingIntervalSeconds: 1,
      burstWhenBatchFull: true,
      burstWhenReadyExceeds: 1, // the same at concurrency 1, where every fetch is "full"
    }
    await boss.work(job.name, options, (batch) =>
      Promise.all(
        batch.map(async (j) => {
          const log = deps.log.child({ job: job.name, jobId: j.id })
          try {
            const output = await job.run(job.payload.parse(j.data), { ...deps, boss, log, signal: j.signal })
            return { id: j.id, status: 'completed' as const, output: (output ?? {}) as object }
          } catch (err) {
            const status = settle(err)
            log.warn({ err, status }, 'job failed')
            if (status === 'failed' && err instanceof ConnectorError && err.retryAfterMs)
              await deferRetry(deps.db, job.name, j.id, err.retryAfterMs)
            return { id: j.id, status, output: toJobError(err) }
          }
        }),
      ),
    )
    if (job.cron) await boss.schedule(job.name, job.cron, {})
    if (job.notifyChannel) {
      const name = job.name
      // one job per second: a burst of changes becomes one job; a change while this second's job is
      // taken goes into the next second's slot (singletonNextSlot), so no wake-up is dropped
      await deps.db.$client.listen(job.notifyChannel, () => {
        boss
          .send(name, {}, { singletonKey: name, singletonSeconds: 1, singletonNextSlot: true })
          .catch((err) => deps.log.warn({ err, job: name }, 'could not send'))
      })
    }
  }
}
