import { asc, eq } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.ts'
import { sources } from '../../db/schema/index.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { presentSource } from '../sources/create-source.ts'
import { presentHealth, selectAbuseMailboxes } from './abuse-mailbox-health.ts'
import { ABUSE_SOURCE_TYPE } from './abuse-settings.ts'

/** Every abuse mailbox with its health line, by name. @throws AppError FORBIDDEN without sources.read. */
export const listAbuseMailboxes = async (db: DbOrTx, actor: Actor) => {
  assertCan(actor, 'sources.read')
  const rows = await selectAbuseMailboxes(db).where(eq(sources.type, ABUSE_SOURCE_TYPE)).orderBy(asc(sources.name))
  return rows.map((r) => ({ ...presentSource(r.source), health: presentHealth(r.state) }))
}
