import type { PgBoss } from 'pg-boss'
import type { Db } from '../../db/client.ts'
import { AppError } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { appendAudit } from '../audit/append-audit.ts'

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
