import { eq, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { notificationTemplates } from '../../db/schema/index.ts'
import { AppError, notFound } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { appendAudit } from '../audit/append-audit.ts'

export type TemplateInput = { name: string; subject: string; body: string }

const isUnique = (err: unknown) =>
  (err as { code?: string }).code === '23505' || (err as { cause?: { code?: string } }).cause?.code === '23505'

/**
 * Creates a template (`id` absent) or replaces one's name, subject and body. Audited with before
 * and after. @throws FORBIDDEN (sources.write), NOT_FOUND, CONFLICT (name taken)
 */
export const saveNotificationTemplate = async (db: Db, actor: Actor, id: number | null, input: TemplateInput) => {
  assertCan(actor, 'sources.write')
  const values = { name: input.name.trim(), subject: input.subject, body: input.body }
  try {
    return await db.transaction(async (tx) => {
      const [before] = id
        ? await tx.select().from(notificationTemplates).where(eq(notificationTemplates.id, id)).for('update')
        : [undefined]
      if (id && !before) throw notFound('notification template')
      const [row] = before
        ? await tx
            .update(notificationTemplates)
            .set({ ...values, updatedAt: sql`now()` })
            .where(eq(notificationTemplates.id, before.id))
            .returning()
        : await tx.insert(notificationTemplates).values(values).returning()
      await appendAudit(tx, actor, {
        action: before ? 'notification_template.update' : 'notification_template.create',
        objectType: 'notification_template',
        objectId: row!.id,
        before,
        after: row,
      })
      return row!
    })
  } catch (err) {
    if (isUnique(err)) throw new AppError('CONFLICT', 'name: a template with this name exists')
    throw err
  }
}
