import { newToken, sha256 } from '../../auth/tokens.ts'
import { putCredential } from '../../crypto/credentials.ts'
import type { Keyring } from '../../crypto/master-secret.ts'
import type { Db } from '../../db/client.ts'
import { sources } from '../../db/schema/index.ts'
import { AppError } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { linkingRulesOf } from '../alerts/link-key.ts'
import { appendAudit } from '../audit/append-audit.ts'

export const SOURCE_TYPES = ['json', 'csv'] as const

/** The POST URL of a JSON source's token. */
export const intakeUrl = (publicUrl: string, token: string) =>
  `${publicUrl.replace(/\/$/, '')}/threat/json_event/events/${token}`

/**
 * Creates a source. A JSON source gets a 256-bit random token: its SHA-256 is the look-up key, the
 * token itself is stored encrypted as a credential so the UI can show the URL again.
 * @throws AppError FORBIDDEN without sources.write, INVALID_REQUEST for a bad name/type, CONFLICT for a taken name.
 */
export const createSource = async (
  db: Db,
  keyring: Keyring,
  actor: Actor,
  input: {
    name: string
    type: string
    settings?: Record<string, unknown>
    linkingRules?: Record<string, unknown>
    isEnabled?: boolean
  },
) => {
  assertCan(actor, 'sources.write')
  const name = input.name.trim()
  if (!name || name.length > 200) throw new AppError('INVALID_REQUEST', 'name: 1 to 200 characters')
  if (!(SOURCE_TYPES as readonly string[]).includes(input.type))
    throw new AppError('INVALID_REQUEST', `type: expected one of ${SOURCE_TYPES.join(', ')}`)
  const token = input.type === 'json' ? newToken(32) : undefined
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(sources)
      .values({
        name,
        type: input.type,
        settings: input.settings ?? {},
        linkingRules: linkingRulesOf(input.linkingRules),
        tokenHash: token ? sha256(token) : null,
        isEnabled: input.isEnabled ?? true,
        createdBy: actor.userId,
      })
      .onConflictDoNothing()
      .returning()
    if (!row) throw new AppError('CONFLICT', `a source named ${name} already exists`)
    if (token) await putCredential(tx, keyring, { ownerKind: 'source', ownerId: row.id, name: 'token' }, token)
    await appendAudit(tx, actor, {
      action: 'source.create',
      objectType: 'source',
      objectId: row.id,
      after: { name, type: row.type, isEnabled: row.isEnabled },
    })
    return { source: presentSource(row), token }
  })
}

export const presentSource = (row: typeof sources.$inferSelect) => ({
  id: row.id,
  name: row.name,
  type: row.type,
  settings: row.settings,
  linkingRules: row.linkingRules,
  isEnabled: row.isEnabled,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
})
