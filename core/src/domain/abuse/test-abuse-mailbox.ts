import { and, eq } from 'drizzle-orm'
import type { Keyring } from '../../crypto/master-secret.ts'
import type { Db } from '../../db/client.ts'
import { sources } from '../../db/schema/index.ts'
import { notFound } from '../../errors.ts'
import type { Logger } from '../../log.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { ABUSE_SOURCE_TYPE, parseAbuseSettings } from './abuse-settings.ts'
import { probeAbuseMailbox } from './probe-abuse-mailbox.ts'

/**
 * "Test connection" of an abuse mailbox: logs into the mailbox through its connector and opens the
 * folder, reading nothing and moving nothing. Answers ok with the backlog and how new mail will be
 * noticed (IDLE or polling), or not ok with the connector's error (never throws for a vendor failure).
 * @throws AppError FORBIDDEN without sources.write, NOT_FOUND.
 */
export const testAbuseMailbox = async (db: Db, keyring: Keyring, log: Logger, actor: Actor, id: number) => {
  assertCan(actor, 'sources.write')
  const [row] = await db
    .select()
    .from(sources)
    .where(and(eq(sources.id, id), eq(sources.type, ABUSE_SOURCE_TYPE)))
  if (!row) throw notFound('abuse mailbox')
  return probeAbuseMailbox(db, keyring, log, parseAbuseSettings(row.settings))
}
