import { eq } from 'drizzle-orm'
import { manifestOf } from '../../connectors/index.ts'
import type { Db, DbOrTx } from '../../db/client.ts'
import { connectors, sources } from '../../db/schema/index.ts'
import { AppError } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { SYSTEM } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { appendAudit } from '../audit/append-audit.ts'
import { createMatchCondition } from '../matching/create-match-condition.ts'
import { exemptFromQuarantine } from '../quarantine/exempt-from-quarantine.ts'
import { presentSource } from '../sources/create-source.ts'
import { ABUSE_SOURCE_TYPE, type AbuseMailboxSettings, parseAbuseSettings } from './abuse-settings.ts'

/** The match condition every new abuse mailbox starts with (editable afterwards like any other). */
export const DEFAULT_ABUSE_CONDITION = {
  name: 'Submit user reports for analysis',
  description:
    'Created with the abuse mailbox: every reported message is analysed; the verdict sets Abuse Disposition.',
  condition: { field: 'classification', op: 'eq', value: 'reported-abuse' },
  responses: [{ type: 'analysis.submit', params: {} }],
  isAutomatic: true,
  isEnabled: true,
  continueAfterMatch: true,
}

/** @throws AppError INVALID_REQUEST when the connector is missing or cannot read mailboxes (`mail.read`). */
export const assertReadableConnector = async (db: DbOrTx, connectorId: number) => {
  const [c] = await db.select().from(connectors).where(eq(connectors.id, connectorId))
  if (!c) throw new AppError('INVALID_REQUEST', 'settings.connectorId: no such connector')
  if (!manifestOf(c.kind).capabilities.includes('mail.read'))
    throw new AppError('INVALID_REQUEST', `settings.connectorId: a ${c.kind} connector cannot read mailboxes`)
  return c
}

/**
 * Creates an abuse-mailbox source in one transaction with what it needs to work at once: its
 * match condition running `analysis.submit` on every report, and its address on the quarantine
 * exemptions (auto-pull never takes reports out of the abuse mailbox). Audited.
 * @throws AppError FORBIDDEN without sources.write, INVALID_REQUEST (names the field), CONFLICT for a taken name.
 */
export const createAbuseMailbox = async (
  db: Db,
  actor: Actor,
  input: { name: string; settings: unknown; isEnabled?: boolean },
) => {
  assertCan(actor, 'sources.write')
  const name = input.name.trim()
  if (!name || name.length > 200) throw new AppError('INVALID_REQUEST', 'name: 1 to 200 characters')
  const settings: AbuseMailboxSettings = parseAbuseSettings(input.settings)
  return db.transaction(async (tx) => {
    await assertReadableConnector(tx, settings.connectorId)
    const [row] = await tx
      .insert(sources)
      .values({
        name,
        type: ABUSE_SOURCE_TYPE,
        settings,
        isEnabled: input.isEnabled ?? true,
        createdBy: actor.userId,
      })
      .onConflictDoNothing()
      .returning()
    if (!row) throw new AppError('CONFLICT', `a source named ${name} already exists`)
    await appendAudit(tx, actor, {
      action: 'source.create',
      objectType: 'source',
      objectId: row.id,
      after: { name, type: row.type, isEnabled: row.isEnabled, settings },
    })
    // Both join this transaction (drizzle nests them as savepoints).
    const condition = await createMatchCondition(tx as unknown as Db, actor, row.id, DEFAULT_ABUSE_CONDITION)
    await exemptFromQuarantine(tx as unknown as Db, SYSTEM, [settings.mailbox], `abuse mailbox ${name}`)
    return { source: presentSource(row), conditionId: condition.id }
  })
}
