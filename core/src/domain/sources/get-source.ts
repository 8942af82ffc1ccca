import { eq } from 'drizzle-orm'
import { getCredential } from '../../crypto/credentials.ts'
import type { Keyring } from '../../crypto/master-secret.ts'
import type { Db } from '../../db/client.ts'
import { sources } from '../../db/schema/index.ts'
import { notFound } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { intakeUrl, presentSource } from './create-source.ts'

/**
 * One source; with `withUrl` (needs sources.write) also its POST URL, decrypted from the stored
 * credential. @throws AppError FORBIDDEN, NOT_FOUND.
 */
export const getSource = async (
  db: Db,
  keyring: Keyring,
  actor: Actor,
  id: number,
  options: { withUrl?: boolean; publicUrl?: string } = {},
) => {
  assertCan(actor, options.withUrl ? 'sources.write' : 'sources.read')
  const [row] = await db.select().from(sources).where(eq(sources.id, id))
  if (!row) throw notFound('source')
  const token =
    options.withUrl && row.type === 'json'
      ? await getCredential(db, keyring, { ownerKind: 'source', ownerId: id, name: 'token' })
      : undefined
  return { ...presentSource(row), url: token ? intakeUrl(options.publicUrl ?? '', token) : undefined }
}
