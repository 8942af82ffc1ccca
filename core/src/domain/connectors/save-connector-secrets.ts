import type { Manifest } from '../../connectors/types.ts'
import { putCredential } from '../../crypto/credentials.ts'
import type { Keyring } from '../../crypto/master-secret.ts'
import type { DbOrTx } from '../../db/client.ts'
import { AppError } from '../../errors.ts'

/**
 * Stores the given secrets of a connector, encrypted; an empty string keeps the stored value.
 * Returns the names changed (for the audit record — never the values).
 * @throws AppError INVALID_REQUEST for a secret the kind does not declare
 */
export const saveConnectorSecrets = async (
  tx: DbOrTx,
  keyring: Keyring,
  manifest: Manifest,
  id: number,
  secrets: Record<string, string> | undefined,
) => {
  const changed: string[] = []
  for (const [name, value] of Object.entries(secrets ?? {})) {
    if (!manifest.secrets.some((s) => s.name === name))
      throw new AppError('INVALID_REQUEST', `secrets.${name}: ${manifest.kind} has no such secret`)
    if (!value) continue
    await putCredential(tx, keyring, { ownerKind: 'connector', ownerId: id, name }, value)
    changed.push(name)
  }
  return changed
}
