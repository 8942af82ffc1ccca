import type { Context } from 'hono'
import { queueBackup } from '../../../appliance/src/backup/queue-backup.ts'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { opFragment } from './view.ts'

/** POST /backups — queues a backup on a worker; answers with its progress fragment. */
export const backupCreate = async (c: Context<AppEnv>) => {
  const op = await queueBackup(c.var.deps, c.var.actor!)
  return c.html(opFragment(op, op.id))
}
