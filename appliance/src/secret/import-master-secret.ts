import type { Keyring } from '../../../core/src/crypto/master-secret.ts'
import type { Db } from '../../../core/src/db/client.ts'
import { appendAudit } from '../../../core/src/domain/audit/append-audit.ts'
import type { Actor } from '../../../core/src/policy/actor.ts'
import { assertCan } from '../../../core/src/policy/index.ts'
import { unwrapMasterSecret } from './export-master-secret.ts'
import { setKeyring, writeKeyringFile } from './keyring-file.ts'

/**
 * Imports an exported master secret (e.g. onto a fresh appliance before restoring its backup): the
 * imported keys come first (the imported current key becomes current), the keys this appliance
 * already held stay behind them so nothing sealed locally becomes unreadable. The file and the
 * running process's keyring change only after the export opened cleanly. Audited.
 * Other processes (separate roles) pick the new keyring up at their next start.
 * @throws FORBIDDEN, INVALID_REQUEST (corrupt file), UNAUTHENTICATED (wrong passphrase)
 */
export const importMasterSecret = async (
  db: Db | undefined,
  actor: Actor,
  keyring: Keyring,
  file: string,
  text: string,
  passphrase: string,
) => {
  assertCan(actor, 'system.manage')
  const imported = unwrapMasterSecret(text, passphrase)
  const ids = new Set(imported.map((k) => k.id))
  const keys = [...imported, ...[...keyring.keys.values()].filter((k) => !ids.has(k.id))]
  writeKeyringFile(file, keys)
  setKeyring(keyring, keys)
  if (db) {
    await db.transaction((tx) =>
      appendAudit(tx, actor, {
        action: 'master_secret.import',
        objectType: 'master_secret',
        objectId: keys[0]!.id,
        after: { keyIds: keys.map((k) => k.id) },
      }),
    )
  }
  return { keyId: keys[0]!.id, keyIds: keys.map((k) => k.id) }
}
