import type { Keyring } from '../../../core/src/crypto/master-secret.ts'
import type { Db } from '../../../core/src/db/client.ts'
import { SYSTEM } from '../../../core/src/policy/actor.ts'
import { readOp, trackOp } from '../ops/progress.ts'
import { createBackup } from './create-backup.ts'

/**
 * Takes the backup an operator requested (console or clawbackctl), its progress in the operation's
 * status file `opId`. Idempotent: an operation that already succeeded is not run again.
 */
export const runBackupRequest = async (
  deps: { db: Db; keyring: Keyring; dataDir: string; signal: AbortSignal },
  opId: string,
  requestedBy: string,
) => {
  const { db, keyring, dataDir, signal } = deps
  if (readOp(dataDir, opId)?.state === 'succeeded') return { skipped: true }
  const actor = { ...SYSTEM, label: requestedBy }
  return trackOp(dataDir, opId, 'backup', async (progress) => {
    const b = await createBackup({ db, keyring, dataDir, actor, trigger: 'manual', progress, signal })
    return { name: b.name, size: b.size, ms: b.ms }
  })
}
