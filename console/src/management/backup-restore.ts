import type { Context } from 'hono'
import { backupFile } from '../../../appliance/src/backup/list-backups.ts'
import { restoreBackup } from '../../../appliance/src/backup/restore-backup.ts'
import { submitPrivilegedRequest } from '../../../appliance/src/ops/privileged-requests.ts'
import { listOps, newOpId, readOp, trackOp } from '../../../appliance/src/ops/progress.ts'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { AppError } from '../../../core/src/errors.ts'
import { assertCan } from '../../../core/src/policy/index.ts'
import { embeddedOrConfiguredUrl } from './database-url.ts'
import { opFragment } from './view.ts'

/**
 * POST /backups/:name/restore — starts the restore in this process (its status file lets a
 * reopened browser follow it); one restore or upgrade at a time.
 */
export const backupRestore = async (c: Context<AppEnv>) => {
  const actor = c.var.actor!
  assertCan(actor, 'system.manage')
  const { config, keyring, log } = c.var.deps
  const file = backupFile(config.dataDir, c.req.param('name') ?? '')
  if (listOps(config.dataDir, 10).some((o) => o.kind !== 'backup' && o.state === 'running'))
    throw new AppError('CONFLICT', 'another restore or upgrade is running')
  const opId = newOpId('restore')
  const databaseUrl = await embeddedOrConfiguredUrl(c)
  void trackOp(config.dataDir, opId, 'restore', async (progress) => {
    const r = await restoreBackup({ file, keyring, dataDir: config.dataDir, databaseUrl, actor, progress })
    return {
      fromVersion: r.meta.releaseVersion,
      newerMigrations: r.newerMigrations.length,
      previousDatabase: r.previousDatabase ?? null,
      ms: r.ms,
    }
  })
    // the appliance: every role restarts on the restored data, once its status says succeeded (root's helper)
    .then(() => {
      if (config.privileged === 'systemd')
        submitPrivilegedRequest(config.dataDir, { kind: 'restart', opId: newOpId('restore'), requestedBy: actor.label })
    })
    .catch((err) => log.error({ err }, 'restore failed'))
  await new Promise((r) => setTimeout(r, 50))
  return c.html(opFragment(readOp(config.dataDir, opId), opId))
}
