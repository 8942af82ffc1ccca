import { and, eq } from 'drizzle-orm'
import { ConnectorError } from '../../connectors/errors.ts'
import { supports } from '../../connectors/types.ts'
import type { Keyring } from '../../crypto/master-secret.ts'
import type { Db } from '../../db/client.ts'
import { sources } from '../../db/schema/index.ts'
import { notFound } from '../../errors.ts'
import type { Logger } from '../../log.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { openConnector } from '../connectors/open-connector.ts'
import { ABUSE_SOURCE_TYPE, parseAbuseSettings } from './abuse-settings.ts'

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
  const s = parseAbuseSettings(row.settings)
  const signal = AbortSignal.timeout(60_000)
  let opened: Awaited<ReturnType<typeof openConnector>> | undefined
  try {
    opened = await openConnector(db, keyring, s.connectorId, { signal, log })
    if (!supports(opened.connector, 'mail.read'))
      return { ok: false, message: `a ${opened.row.kind} connector cannot read mailboxes`, backlog: null, mode: null }
    const reader = await opened.connector.openMailbox(s, opened.ctx)
    try {
      const { backlog } = await reader.pending(0)
      return {
        ok: true,
        message: `${s.mailbox} ${s.folder}: ${backlog} message(s) waiting; new mail ${reader.mode === 'idle' ? 'pushed (IDLE)' : `polled every ${s.intervalSeconds} s`}`,
        backlog,
        mode: reader.mode,
      }
    } finally {
      await reader.close()
    }
  } catch (err) {
    if (!(err instanceof ConnectorError) && !(err as { code?: string }).code) throw err
    return { ok: false, message: (err as Error).message.slice(0, 500), backlog: null, mode: null }
  } finally {
    await opened?.close()
  }
}
