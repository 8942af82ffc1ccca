import { ConnectorError } from '../../connectors/errors.ts'
import { supports } from '../../connectors/types.ts'
import type { Keyring } from '../../crypto/master-secret.ts'
import type { Db } from '../../db/client.ts'
import type { Logger } from '../../log.ts'
import { openConnector } from '../connectors/open-connector.ts'
import type { AbuseMailboxSettings } from './abuse-settings.ts'

/** What "Test connection" answers: ok with the backlog and how new mail is noticed, or the connector's error. */
export type AbuseProbe = { ok: boolean; message: string; backlog: number | null; mode: 'idle' | 'poll' | null }

/**
 * Logs into the mailbox through the settings' connector and opens the folder, reading nothing and
 * moving nothing (shared by the test of a stored source and of settings not saved yet). A vendor
 * failure is answered (`ok: false`), never thrown; anything else (a bug, the database) is thrown.
 */
export const probeAbuseMailbox = async (
  db: Db,
  keyring: Keyring,
  log: Logger,
  s: AbuseMailboxSettings,
): Promise<AbuseProbe> => {
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
