import { and, eq, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { sources } from '../../db/schema/index.ts'
import { AppError, notFound } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { SYSTEM } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { appendAudit } from '../audit/append-audit.ts'
import { exemptFromQuarantine } from '../quarantine/exempt-from-quarantine.ts'
import { presentSource } from '../sources/create-source.ts'
import { ABUSE_SOURCE_TYPE, parseAbuseSettings } from './abuse-settings.ts'
import { assertReadableConnector } from './create-abuse-mailbox.ts'

/**
 * Edits an abuse mailbox: name, enabled, and any subset of its settings (the rest kept). A new
 * address joins the quarantine exemptions in the same transaction (the old one stays: reports
 * already in it are still evidence). Running pollers pick the change up within seconds.
 * @throws AppError FORBIDDEN without sources.write, NOT_FOUND, INVALID_REQUEST, CONFLICT for a taken name.
 */
export const updateAbuseMailbox = async (
  db: Db,
  actor: Actor,
  id: number,
  input: { name?: string; isEnabled?: boolean; settings?: Record<string, unknown> },
) => {
  assertCan(actor, 'sources.write')
  const name = input.name?.trim()
  if (name !== undefined && (!name || name.length > 200))
    throw new AppError('INVALID_REQUEST', 'name: 1 to 200 characters')
  return db.transaction(async (tx) => {
    const [before] = await tx
      .select()
      .from(sources)
      .where(and(eq(sources.id, id), eq(sources.type, ABUSE_SOURCE_TYPE)))
      .for('update')
    if (!before) throw notFound('abuse mailbox')
    const settings = parseAbuseSettings({ ...(before.settings as object), ...(input.settings ?? {}) })
    if (input.settings?.connectorId !== undefined) await assertReadableConnector(tx, settings.connectorId)
    let row: typeof before | undefined
    try {
      ;[row] = await tx
        .update(sources)
        .set({
          name: name ?? before.name,
          isEnabled: input.isEnabled ?? before.isEnabled,
          settings,
          updatedAt: sql`now()`,
        })
        .where(eq(sources.id, id))
        .returning()
    } catch (err) {
      if ((err as { cause?: { code?: string } }).cause?.code === '23505')
        throw new AppError('CONFLICT', `a source named ${name} already exists`)
      throw err
    }
    await appendAudit(tx, actor, {
      action: 'source.update',
      objectType: 'source',
      objectId: id,
      before: { name: before.name, isEnabled: before.isEnabled, settings: before.settings },
      after: { name: row!.name, isEnabled: row!.isEnabled, settings },
    })
    if (settings.mailbox !== (before.settings as { mailbox?: string }).mailbox)
      await exemptFromQuarantine(tx as unknown as Db, SYSTEM, [settings.mailbox], `abuse mailbox ${row!.name}`)
    return presentSource(row!)
  })
}
