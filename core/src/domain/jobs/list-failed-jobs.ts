import { sql } from 'drizzle-orm'
import type { PgBoss } from 'pg-boss'
import type { Db } from '../../db/client.ts'
import { AppError } from '../../errors.ts'
import { BOSS_SCHEMA } from '../../jobs/boss.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { appendAudit } from '../audit/append-audit.ts'

export type FailedJob = {
  id: string
  queue: string
  state: string
  isDeadLetter: boolean
  sourceQueue: string | null
  retryCount: number
  error: unknown
  createdAt: Date
  completedAt: Date | null
}

/**
 * Jobs that failed for good (retries exhausted) and jobs waiting in a dead-letter queue, newest
 * first. @throws AppError FORBIDDEN without system.manage.
 */
export const listFailedJobs = async (db: Db, actor: Actor, limit = 200): Promise<FailedJob[]> => {
  assertCan(actor, 'system.manage')
  // Before any worker has started, pg-boss has not installed its schema: nothing has failed yet.
  const [installed] = await db.execute<{ ok: boolean }>(
    sql`SELECT to_regclass(${`${BOSS_SCHEMA}.job`}) IS NOT NULL AS ok`,
  )
  if (!installed?.ok) return []
  const rows = await db.execute<{
    id: string
    name: string
    state: string
    source_name: string | null
    retry_count: number
    output: unknown
    created_on: Date
    completed_on: Date | null
  }>(sql`SELECT id, name, state, source_name, retry_count, output, created_on, completed_on
           FROM ${sql.identifier(BOSS_SCHEMA)}.job
          WHERE state = 'failed' OR (name LIKE '%.dlq' AND state IN ('created', 'retry'))
          ORDER BY created_on DESC LIMIT ${limit}`)
  return rows.map((r) => ({
    id: r.id,
    queue: r.name,
    state: r.state,
    isDeadLetter: r.name.endsWith('.dlq'),
    sourceQueue: r.source_name,
    retryCount: r.retry_count,
    error: r.output,
    createdAt: new Date(r.created_on),
    completedAt: r.completed_on ? new Date(r.completed_on) : null,
  }))
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * Runs a failed or dead-lettered job again: a failed job is retried in place; a dead-lettered
 * one is sent back to the queue it came from and removed from the dead-letter queue. Audited.
 * @throws AppError FORBIDDEN, NOT_FOUND when no such failed job exists.
 */
export const retryJob = async (db: Db, boss: PgBoss, actor: Actor, queue: string, id: string) => {
  assertCan(actor, 'system.manage')
  if (!UUID.test(id) || !(await boss.getQueue(queue)))
    throw new AppError('NOT_FOUND', `job ${id} not found in ${queue}`)
  const [job] = await boss.findJobs<object>(queue, { id })
  if (!job) throw new AppError('NOT_FOUND', `job ${id} not found in ${queue}`)
  if (queue.endsWith('.dlq')) {
    const target = job.sourceName ?? queue.replace(/\.dlq$/, '')
    const newId = await boss.send(target, job.data)
    await boss.deleteJob(queue, id)
    await db.transaction((tx) =>
      appendAudit(tx, actor, {
        action: 'job.redrive',
        objectType: 'job',
        objectId: id,
        after: { queue: target, newId },
      }),
    )
    return { id: newId, queue: target }
  }
  if (job.state !== 'failed') throw new AppError('CONFLICT', `job ${id} is ${job.state}, not failed`)
  await boss.retry(queue, id)
  await db.transaction((tx) =>
    appendAudit(tx, actor, { action: 'job.retry', objectType: 'job', objectId: id, after: { queue } }),
  )
  return { id, queue }
}
