import { asc } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.ts'
import { notificationTemplates } from '../../db/schema/index.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'

/** Every e-mail notification template (built-ins first). @throws FORBIDDEN (sources.read) */
export const listNotificationTemplates = async (db: DbOrTx, actor: Actor) => {
  assertCan(actor, 'sources.read')
  return db.select().from(notificationTemplates).orderBy(asc(notificationTemplates.id))
}
