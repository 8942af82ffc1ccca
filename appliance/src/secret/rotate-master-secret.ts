import { eq, sql } from 'drizzle-orm'
import { type Keyring, newMasterKey, open, seal } from '../../../core/src/crypto/master-secret.ts'
import type { Db } from '../../../core/src/db/client.ts'
import { credentials } from '../../../core/src/db/schema/index.ts'
import { appendAudit } from '../../../core/src/domain/audit/append-audit.ts'
import { AppError } from '../../../core/src/errors.ts'
import type { Actor } from '../../../core/src/policy/actor.ts'
import { assertCan } from '../../../core/src/policy/index.ts'
import { setKeyring, writeKeyringFile } from './keyring-file.ts'

const PURPOSE = 'credentials'

/**
 * Rotates the master secret. Ordering makes every crash point safe:
 * 1. a new key is written first in the keyring file, the old keys kept behind it;
 * 2. every credential is re-encrypted under the new key in one transaction (all or none);
 * 3. only then are the old keys dropped from the file.
 * Backups taken before the rotation stay encrypted under the old key: export the secret before
 * rotating if they must remain restorable. Audited. @throws FORBIDDEN, UNAVAILABLE (a credential
 * sealed under a key this appliance does not hold — nothing is changed then)
 */
export const rotateMasterSecret = async (db: Db, actor: Actor, keyring: Keyring, file: string) => {
  assertCan(actor, 'system.manage')
  const previous = [keyring.current, ...[...keyring.keys.values()].filter((k) => k.id !== keyring.current.id)]
  const fresh = newMasterKey()
  writeKeyringFile(file, [fresh, ...previous])
  setKeyring(keyring, [fresh, ...previous])
  let count = 0
  try {
    await db.transaction(async (tx) => {
      await tx.execute(sql`LOCK TABLE credentials IN SHARE ROW EXCLUSIVE MODE`)
      const rows = await tx.select().from(credentials)
      for (const row of rows) {
        if (row.keyId === fresh.id) continue
        const key = keyring.keys.get(row.keyId)
        if (!key)
          throw new AppError(
            'UNAVAILABLE',
            `credential ${row.ownerKind}/${row.ownerId}/${row.name} is sealed under master key ${row.keyId}, which this appliance does not hold`,
          )
        const aad = `${row.ownerKind}/${row.ownerId}/${row.name}`
        const plain = open(key, PURPOSE, row.ciphertext, aad)
        await tx
          .update(credentials)
          .set({ keyId: fresh.id, ciphertext: seal(fresh, PURPOSE, plain, aad), updatedAt: sql`now()` })
          .where(eq(credentials.id, row.id))
        count++
      }
      await appendAudit(tx, actor, {
        action: 'master_secret.rotate',
        objectType: 'master_secret',
        objectId: fresh.id,
        before: { keyIds: previous.map((k) => k.id) },
        after: { keyId: fresh.id, reencrypted: count },
      })
    })
  } catch (err) {
    // nothing was re-encrypted: put the previous keyring back
    writeKeyringFile(file, previous)
    setKeyring(keyring, previous)
    throw err
  }
  writeKeyringFile(file, [fresh])
  setKeyring(keyring, [fresh])
  return { keyId: fresh.id, previousKeyIds: previous.map((k) => k.id), reencrypted: count }
}
