import { eq, sql } from 'drizzle-orm'
import { manifestOf } from '../../connectors/index.ts'
import type { Keyring } from '../../crypto/master-secret.ts'
import type { Db } from '../../db/client.ts'
import { connectors } from '../../db/schema/index.ts'
import { AppError, notFound } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { parseOr400 } from '../../validation/parse-input.ts'
import { appendAudit } from '../audit/append-audit.ts'
import { presentConnector, storedSecretNames } from './present-connector.ts'
import { saveConnectorSecrets } from './save-connector-secrets.ts'

/**
 * Changes a connector: `settings` replaces the settings (validated by the kind's schema), empty
 * secrets keep their stored values, and any change clears the last test result (it tested
 * something else). Audited without secret values. @throws FORBIDDEN, NOT_FOUND, INVALID_REQUEST, CONFLICT
 */
export const updateConnector = async (
  db: Db,
  keyring: Keyring,
  actor: Actor,
  id: number,
  input: {
    name?: string
    settings?: unknown
    secrets?: Record<string, string>
    isEnabled?: boolean
    isOnPremises?: boolean
  },
) => {
  assertCan(actor, 'system.manage')
  return db.transaction(async (tx) => {
    const [before] = await tx.select().from(connectors).where(eq(connectors.id, id)).for('update')
    if (!before) throw notFound('connector')
    const manifest = manifestOf(before.kind)
    const settings =
      input.settings === undefined ? undefined : parseOr400(manifest.settings, input.settings, 'settings', 'settings')
    const name = input.name?.trim()
    if (name !== undefined && (!name || name.length > 200))
      throw new AppError('INVALID_REQUEST', 'name: 1 to 200 characters')
    if (name && name !== before.name) {
      const [taken] = await tx.select({ id: connectors.id }).from(connectors).where(eq(connectors.name, name))
      if (taken) throw new AppError('CONFLICT', `a connector named ${name} already exists`)
    }
    const secretsChanged = await saveConnectorSecrets(tx, keyring, manifest, id, input.secrets)
    const [row] = await tx
      .update(connectors)
      .set({
        ...(name ? { name } : {}),
        ...(settings !== undefined ? { settings } : {}),
        ...(input.isEnabled !== undefined ? { isEnabled: input.isEnabled } : {}),
        ...(input.isOnPremises !== undefined ? { isOnPremises: input.isOnPremises } : {}),
        lastTestedAt: null,
        lastTestOk: null,
        lastTestMessage: null,
        updatedAt: sql`now()`,
      })
      .where(eq(connectors.id, id))
      .returning()
    await appendAudit(tx, actor, {
      action: 'connector.update',
      objectType: 'connector',
      objectId: id,
      before: {
        name: before.name,
        settings: before.settings,
        isEnabled: before.isEnabled,
        isOnPremises: before.isOnPremises,
      },
      after: {
        name: row!.name,
        settings: row!.settings,
        isEnabled: row!.isEnabled,
        isOnPremises: row!.isOnPremises,
        secretsChanged,
      },
    })
    return presentConnector(row!, await storedSecretNames(tx, id))
  })
}
