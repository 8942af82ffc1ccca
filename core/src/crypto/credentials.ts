import { and, eq, sql } from 'drizzle-orm'
import type { DbOrTx } from '../db/client.ts'
import { credentials } from '../db/schema/index.ts'
import { AppError } from '../errors.ts'
import { type Keyring, open, seal } from './master-secret.ts'

const PURPOSE = 'credentials'
const aadOf = (ownerKind: string, ownerId: string, name: string) => `${ownerKind}/${ownerId}/${name}`

export type CredentialRef = { ownerKind: string; ownerId: string | number; name: string }

/** Stores (or replaces) one secret, encrypted under the current master key. */
export const putCredential = async (db: DbOrTx, keyring: Keyring, ref: CredentialRef, value: string) => {
  const ownerId = String(ref.ownerId)
  const ciphertext = seal(keyring.current, PURPOSE, Buffer.from(value, 'utf8'), aadOf(ref.ownerKind, ownerId, ref.name))
  await db
    .insert(credentials)
    .values({ ownerKind: ref.ownerKind, ownerId, name: ref.name, keyId: keyring.current.id, ciphertext })
    .onConflictDoUpdate({
      target: [credentials.ownerKind, credentials.ownerId, credentials.name],
      set: { keyId: keyring.current.id, ciphertext, updatedAt: sql`now()` },
    })
}

/**
 * Reads one secret. Returns undefined when none is stored.
 * @throws AppError UNAVAILABLE when it was sealed under a master key this keyring does not hold.
 */
export const getCredential = async (db: DbOrTx, keyring: Keyring, ref: CredentialRef): Promise<string | undefined> => {
  const ownerId = String(ref.ownerId)
  const [row] = await db
    .select()
    .from(credentials)
    .where(
      and(eq(credentials.ownerKind, ref.ownerKind), eq(credentials.ownerId, ownerId), eq(credentials.name, ref.name)),
    )
  if (!row) return undefined
  const key = keyring.keys.get(row.keyId)
  if (!key)
    throw new AppError(
      'UNAVAILABLE',
      `credential ${ref.name} is sealed under master key ${row.keyId}, which this appliance does not hold`,
    )
  return open(key, PURPOSE, row.ciphertext, aadOf(ref.ownerKind, ownerId, ref.name)).toString('utf8')
}

export const deleteCredentials = (db: DbOrTx, ownerKind: string, ownerId: string | number) =>
  db.delete(credentials).where(and(eq(credentials.ownerKind, ownerKind), eq(credentials.ownerId, String(ownerId))))
