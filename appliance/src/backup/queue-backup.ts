import type { Deps } from '../../../core/src/deps.ts'
import { enqueue } from '../../../core/src/jobs/enqueue.ts'
import type { Actor } from '../../../core/src/policy/actor.ts'
import { assertCan } from '../../../core/src/policy/index.ts'
import { backupCreateJob } from '../jobs/backup-create.ts'
import { newOpId, type OpStatus, writeOp } from '../ops/progress.ts'

/**
 * Queues a backup on a worker and returns its operation status (state `queued`; the worker's job
 * writes its progress to the same status file).
 * @throws AppError FORBIDDEN without `system.manage`.
 */
export const queueBackup = async (deps: Pick<Deps, 'config' | 'db' | 'boss'>, actor: Actor): Promise<OpStatus> => {
  assertCan(actor, 'system.manage')
  const { db, boss, config } = deps
  const op: OpStatus = {
    id: newOpId('backup'),
    kind: 'backup',
    state: 'queued',
    step: 'queued',
    percent: 0,
    startedAt: new Date().toISOString(),
  }
  writeOp(config.dataDir, op)
  await db.transaction((tx) => enqueue(boss, tx, backupCreateJob, { opId: op.id, requestedBy: actor.label }))
  return op
}
