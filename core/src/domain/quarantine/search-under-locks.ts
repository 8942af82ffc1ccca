import { ConnectorError } from '../../connectors/errors.ts'
import {
  type Connector,
  type MailFound,
  type MailLocator,
  type MailRemediate,
  type MailSearch,
  type PerItem,
  supports,
} from '../../connectors/types.ts'
import { bulkCall, type connectorPool, type QuarantineContext } from './connector-calls.ts'
import { withMailboxLocks } from './mailbox-locks.ts'

type Pool = ReturnType<typeof connectorPool>

/**
 * The first step of quarantine and undo alike: opens the mail connector (it must both search and
 * remediate; `what` names the action in the refusal), then works the rows one group at a time
 * under the per-mailbox locks (one run at a time per mailbox, across worker processes, so the
 * connector's per-mailbox limits hold), searching each group's mailboxes afresh before `work`
 * sees them. Returns the rows whose mailboxes other runs held until the run was stopped.
 */
export const searchUnderMailboxLocks = async <R extends { mailbox: string; locator: unknown }>(
  q: QuarantineContext,
  pool: Pool,
  connectorId: number,
  rows: R[],
  what: string,
  work: (
    group: R[],
    found: PerItem<MailFound>[],
    mail: Connector & MailSearch & MailRemediate,
    opened: Awaited<ReturnType<Pool['get']>>,
  ) => Promise<void>,
) => {
  const opened = await pool.get(connectorId)
  const mail = opened.connector
  if (!supports(mail, 'mail.search') || !supports(mail, 'mail.remediate'))
    throw new ConnectorError('rejected', `connector ${opened.row.name} cannot ${what}`)
  return withMailboxLocks(
    q,
    rows,
    (r) => r.mailbox,
    async (group) => {
      const found = await bulkCall(
        group,
        (chunk) =>
          mail.findMessages(
            chunk.map((r) => ({ mailbox: r.mailbox, locator: r.locator as MailLocator })),
            opened.ctx,
          ),
        q.signal,
      )
      await work(group, found, mail, opened)
    },
  )
}
