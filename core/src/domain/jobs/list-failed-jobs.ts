import { sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { BOSS_SCHEMA } from '../../jobs/boss.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'

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
