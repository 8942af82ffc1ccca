import { and, eq } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { connectors } from '../../db/schema/index.ts'
import { AppError } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { NOTIFICATIONS_KEY, ZNotificationSettings } from '../../settings/notifications.ts'
import { writeSetting } from '../../settings/settings-store.ts'
import { parseOr400 } from '../../validation/parse-input.ts'
import { appendAudit } from '../audit/append-audit.ts'

/**
 * Sets the score threshold of workflow notifications and the smtp connector their e-mails use
 * (null: the first enabled one). Audited.
 * @throws AppError FORBIDDEN without system.manage, INVALID_REQUEST naming the field (a
 *   connectorId that is no smtp connector included)
 */
export const setNotificationSettings = async (db: Db, actor: Actor, input: unknown) => {
  assertCan(actor, 'system.manage')
  const value = parseOr400(ZNotificationSettings, input, 'notifications')
  return db.transaction(async (tx) => {
    if (value.connectorId !== null) {
      const [row] = await tx
        .select({ id: connectors.id })
        .from(connectors)
        .where(and(eq(connectors.id, value.connectorId), eq(connectors.kind, 'smtp')))
      if (!row) throw new AppError('INVALID_REQUEST', 'connectorId: not an smtp connector')
    }
    await writeSetting(tx, NOTIFICATIONS_KEY, value, actor.userId)
    await appendAudit(tx, actor, {
      action: 'system.notifications',
      objectType: 'setting',
      objectId: NOTIFICATIONS_KEY,
      after: value,
    })
    return value
  })
}
