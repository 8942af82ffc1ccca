import { manifestOf } from '../../connectors/index.ts'
import type { Keyring } from '../../crypto/master-secret.ts'
import type { Db } from '../../db/client.ts'
import { connectors } from '../../db/schema/index.ts'
import { AppError } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { parseOr400 } from '../../validation/parse-input.ts'
import { appendAudit } from '../audit/append-audit.ts'
import { presentConnector } from './present-connector.ts'
import { saveConnectorSecrets } from './save-connector-secrets.ts'

export type ConnectorInput = {
  kind: string
  name: string
  settings: unknown
  secrets?: Record<string, string>
  isEnabled?: boolean
  isOnPremises?: boolean
}

/**
 * Creates a connector instance of a registered kind: settings validated by the kind's schema
 * (the 400 names `settings.<field>`), required secrets present, secrets encrypted. Audited
 * without secret values. @throws AppError FORBIDDEN (system.manage), INVALID_REQUEST, CONFLICT (name taken)
 */
export const createConnector = async (db: Db, keyring: Keyring, actor: Actor, input: ConnectorInput) => {
  assertCan(actor, 'system.manage')
  const manifest = manifestOf(input.kind)
  const settings = parseOr400(manifest.settings, input.settings ?? {}, 'settings', 'settings')
  for (const s of manifest.secrets)
    if (s.isRequired && !input.secrets?.[s.name])
      throw new AppError('INVALID_REQUEST', `secrets.${s.name}: required by ${manifest.kind}`)
  const name = input.name.trim()
  if (!name || name.length > 200) throw new AppError('INVALID_REQUEST', 'name: 1 to 200 characters')
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(connectors)
      .values({
        kind: manifest.kind,
        name,
        settings,
        isEnabled: input.isEnabled ?? true,
        isOnPremises: input.isOnPremises ?? false,
        createdBy: actor.userId,
      })
      .onConflictDoNothing()
      .returning()
    if (!row) throw new AppError('CONFLICT', `a connector named ${name} already exists`)
    const secretsSet = await saveConnectorSecrets(tx, keyring, manifest, row.id, input.secrets)
    await appendAudit(tx, actor, {
      action: 'connector.create',
      objectType: 'connector',
      objectId: row.id,
      after: { kind: row.kind, name, settings, isEnabled: row.isEnabled, isOnPremises: row.isOnPremises, secretsSet },
    })
    return presentConnector(row, secretsSet)
  })
}
