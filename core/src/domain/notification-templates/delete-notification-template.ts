import { eq } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { notificationTemplates } from '../../db/schema/index.ts'
import { AppError, notFound } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { appendAudit } from '../audit/append-audit.ts'

/** Deletes a template an admin made (the two built-ins stay; edit them instead). Audited. @throws FORBIDDEN, NOT_FOUND, CONFLICT */
export const deleteNotificationTemplate = async (db: Db, actor: Actor, id: number) => {
  assertCan(actor, 'sources.write')
  return db.transaction(async (tx) => {
    const [row] = await tx.select().from(notificationTemplates).where(eq(notificationTemplates.id, id)).for('update')
    if (!row) throw notFound('notification template')
    if (row.isBuiltin) throw new AppError('CONFLICT', 'a built-in template cannot be deleted; edit it instead')
    await tx.delete(notificationTemplates).where(eq(notificationTemplates.id, id))
    await appendAudit(tx, actor, {
      action: 'notification_template.delete',
      objectType: 'notification_template',
      objectId: id,
      before: row,
    })
    return { id, deleted: true as const }
  })
}
