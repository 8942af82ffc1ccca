import { eq, sql } from 'drizzle-orm'
import { newToken, sha256 } from '../../auth/tokens.ts'
import { putCredential } from '../../crypto/credentials.ts'
import type { Keyring } from '../../crypto/master-secret.ts'
import type { Db } from '../../db/client.ts'
import { sources } from '../../db/schema/index.ts'
import { AppError, notFound } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { linkingRulesOf } from '../alerts/link-key.ts'
import { appendAudit } from '../audit/append-audit.ts'
import { presentSource } from './create-source.ts'
import { forgetSourceTokens } from './source-token.ts'

/**
 * Edits a source (name, enabled, settings, linking rules) and optionally rotates a JSON source's
 * token (the old URL stops working at once in this process, within 5 s elsewhere).
 * @throws AppError FORBIDDEN without sources.write, NOT_FOUND, CONFLICT for a taken name.
 */
export const updateSource = async (
  db: Db,
  keyring: Keyring,
  actor: Actor,
  id: number,
  input: {
    name?: string
    isEnabled?: boolean
    settings?: Record<string, unknown>
    linkingRules?: Record<string, unknown>
    rotateToken?: boolean
  },
) => {
  assertCan(actor, 'sources.write')
  return db.transaction(async (tx) => {
    const [before] = await tx.select().from(sources).where(eq(sources.id, id)).for('update')
    if (!before) throw notFound('source')
    if (before.type === 'abuse_mailbox' && input.settings)
      throw new AppError('INVALID_REQUEST', 'settings: an abuse mailbox is edited at /api/v1/abuse-mailboxes/{id}')
    const token = input.rotateToken && before.type === 'json' ? newToken(32) : undefined
    const name = input.name?.trim()
    if (name !== undefined && (!name || name.length > 200))
      throw new AppError('INVALID_REQUEST', 'name: 1 to 200 characters')
    let row: typeof before | undefined
    try {
      ;[row] = await tx
        .update(sources)
        .set({
          name: name ?? before.name,
          isEnabled: input.isEnabled ?? before.isEnabled,
          settings: input.settings ?? before.settings,
          linkingRules: input.linkingRules ? linkingRulesOf(input.linkingRules) : before.linkingRules,
          tokenHash: token ? sha256(token) : before.tokenHash,
          updatedAt: sql`now()`,
        })
        .where(eq(sources.id, id))
        .returning()
    } catch (err) {
      if ((err as { cause?: { code?: string } }).cause?.code === '23505' || (err as { code?: string }).code === '23505')
        throw new AppError('CONFLICT', `a source named ${name} already exists`)
      throw err
    }
    if (token) await putCredential(tx, keyring, { ownerKind: 'source', ownerId: id, name: 'token' }, token)
    await appendAudit(tx, actor, {
      action: 'source.update',
      objectType: 'source',
      objectId: id,
      before: { name: before.name, isEnabled: before.isEnabled, linkingRules: before.linkingRules },
      after: {
        name: row!.name,
        isEnabled: row!.isEnabled,
        linkingRules: row!.linkingRules,
        tokenRotated: Boolean(token),
      },
    })
    forgetSourceTokens()
    return { source: presentSource(row!), token }
  })
}
