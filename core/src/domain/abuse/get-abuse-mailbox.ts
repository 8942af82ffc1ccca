import { and, eq } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.ts'
import { sources } from '../../db/schema/index.ts'
import { notFound } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { presentSource } from '../sources/create-source.ts'
import { presentHealth, selectAbuseMailboxes } from './abuse-mailbox-health.ts'
import { ABUSE_SOURCE_TYPE } from './abuse-settings.ts'

/** One abuse mailbox with its health line. @throws AppError FORBIDDEN, NOT_FOUND. */
export const getAbuseMailbox = async (db: DbOrTx, actor: Actor, id: number) => {
  assertCan(actor, 'sources.read')
  const [r] = await selectAbuseMailboxes(db).where(and(eq(sources.id, id), eq(sources.type, ABUSE_SOURCE_TYPE)))
  if (!r) throw notFound('abuse mailbox')
  return { ...presentSource(r.source), health: presentHealth(r.state) }
}
