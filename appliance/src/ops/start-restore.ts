import type { Deps } from '../../../core/src/deps.ts'
import type { Actor } from '../../../core/src/policy/actor.ts'
import { assertCan } from '../../../core/src/policy/index.ts'
import { backupFile } from '../backup/list-backups.ts'
import { restoreBackup } from '../backup/restore-backup.ts'
import { submitPrivilegedRequest } from './privileged-requests.ts'
import { assertNoRestoreOrUpgradeRunning, newOpId, trackOp } from './progress.ts'

/**
 * Starts restoring a backup (by its file name in the backup directory) in this process and returns its operation id at once (its status
 * file lets a reopened browser follow it); one restore or upgrade at a time. On the appliance every
 * role restarts on the restored data (root's helper) once the restore succeeded.
 * @throws AppError FORBIDDEN without `system.manage`, NOT_FOUND for an unknown backup, CONFLICT while another restore/upgrade runs.
 */
export const startRestore = (
  deps: Pick<Deps, 'config' | 'keyring' | 'log'>,
  actor: Actor,
  input: { backupName: string; databaseUrl: string },
) => {
  assertCan(actor, 'system.manage')
  const { config, keyring, log } = deps
  const file = backupFile(config.dataDir, input.backupName)
  assertNoRestoreOrUpgradeRunning(config.dataDir)
  const opId = newOpId('restore')
  void trackOp(config.dataDir, opId, 'restore', async (progress) => {
    const r = await restoreBackup({
      file,
      keyring,
      dataDir: config.dataDir,
      databaseUrl: input.databaseUrl,
      actor,
      progress,
    })
    return {
      fromVersion: r.meta.releaseVersion,
      newerMigrations: r.newerMigrations.length,
      previousDatabase: r.previousDatabase ?? null,
      ms: r.ms,
    }
  })
    .then(() => {
      if (config.privileged === 'systemd')
        submitPrivilegedRequest(config.dataDir, { kind: 'restart', opId: newOpId('restore'), requestedBy: actor.label })
    })
    .catch((err) => log.error({ err }, 'restore failed'))
  return opId
}
