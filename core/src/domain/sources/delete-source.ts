import { and, eq, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { alerts, credentials, sources } from '../../db/schema/index.ts'
import { AppError, notFound } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { appendAudit } from '../audit/append-audit.ts'
import { presentSource } from './create-source.ts'
import { forgetSourceTokens } from './source-token.ts'

/**
 * Deletes a source that never received an alert (a mistaken or test source), with its token and
 * match conditions; audited with the source as it was.
 *
 * A source that has alerts is refused rather than deleted: its alerts are evidence and name their
 * source, and a security product must not drop them (or orphan them) as a side effect of tidying
 * the source list. Such a source is disabled instead (`PATCH isEnabled: false`): its URL stops
 * accepting alerts while its history stays whole.
 * @throws AppError FORBIDDEN without sources.write, NOT_FOUND, CONFLICT when the source has alerts.
 */
export const deleteSource = async (db: Db, actor: Actor, id: number) => {
  assertCan(actor, 'sources.write')
  return db.transaction(async (tx) => {
    const [row] = await tx.select().from(sources).where(eq(sources.id, id)).for('update')
    if (!row) throw notFound('source')
    const [{ n }] = (await tx
      .select({ n: sql<number>`count(*)::int` })
      .from(alerts)
      .where(eq(alerts.sourceId, id))) as [{ n: number }]
    if (n > 0)
      throw new AppError(
        'CONFLICT',
        `source has ${n} alert(s) and cannot be deleted without losing evidence; disable it instead (isEnabled: false)`,
      )
    try {
      await tx.delete(sources).where(eq(sources.id, id))
    } catch (err) {
      // alerts.source_id has no ON DELETE action: an alert stored after the count still wins.
      if ((err as { cause?: { code?: string } }).cause?.code === '23503' || (err as { code?: string }).code === '23503')
        throw new AppError('CONFLICT', 'source received an alert meanwhile; disable it instead (isEnabled: false)')
      throw err
    }
    await tx.delete(credentials).where(and(eq(credentials.ownerKind, 'source'), eq(credentials.ownerId, String(id))))
    await appendAudit(tx, actor, {
      action: 'source.delete',
      objectType: 'source',
      objectId: id,
      before: { name: row.name, type: row.type, isEnabled: row.isEnabled, linkingRules: row.linkingRules },
    })
    forgetSourceTokens()
    return presentSource(row)
  })
}
