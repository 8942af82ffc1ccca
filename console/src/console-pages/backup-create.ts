import type { Context } from 'hono'
import { backupCreateJob } from '../../../appliance/src/jobs/backup-create.ts'
import { newOpId, writeOp } from '../../../appliance/src/ops/progress.ts'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { enqueue } from '../../../core/src/jobs/boss.ts'
import { assertCan } from '../../../core/src/policy/index.ts'
import { opFragment } from './view.ts'

/** POST /backups — queues a backup on a worker; answers with its progress fragment. */
export const backupCreate = async (c: Context<AppEnv>) => {
  const { db, boss, config } = c.var.deps
  const actor = c.var.actor!
  assertCan(actor, 'system.manage')
  const opId = newOpId('backup')
  const op = {
    id: opId,
    kind: 'backup' as const,
    state: 'queued' as const,
    step: 'queued',
    percent: 0,
    startedAt: new Date().toISOString(),
  }
  writeOp(config.dataDir, op)
  await db.transaction((tx) => enqueue(boss, tx, backupCreateJob, { opId, requestedBy: actor.label }))
  return c.html(opFragment(op, opId))
}
