import { eq, sql } from 'drizzle-orm'
import { ConnectorError } from '../../connectors/errors.ts'
import type { Keyring } from '../../crypto/master-secret.ts'
import type { Db } from '../../db/client.ts'
import { connectors } from '../../db/schema/index.ts'
import { AppError } from '../../errors.ts'
import type { Logger } from '../../log.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { appendAudit } from '../audit/append-audit.ts'
import { openConnector } from './open-connector.ts'

const KIND_HINT: Record<string, string> = {
  auth: 'the credentials were refused',
  rejected: 'the request was refused',
  not_found: 'not found',
  rate_limited: 'throttled',
  unavailable: 'unreachable',
}

/**
 * Runs the kind's `test()` against the vendor (at most `timeoutMs`), records the outcome on the
 * connector and in the audit log, and returns it. A vendor failure is an outcome, not an error.
 * @throws FORBIDDEN, NOT_FOUND
 */
export const testConnector = async (
  db: Db,
  keyring: Keyring,
  actor: Actor,
  id: number,
  opts: { log: Logger; timeoutMs?: number },
) => {
  assertCan(actor, 'system.manage')
  const signal = AbortSignal.timeout(opts.timeoutMs ?? 30_000)
  const opened = await openConnector(db, keyring, id, { signal, log: opts.log, evenDisabled: true })
  let outcome: { isOk: boolean; message: string }
  try {
    outcome = { isOk: true, message: (await opened.connector.test(opened.ctx)).message }
  } catch (err) {
    if (err instanceof ConnectorError) outcome = { isOk: false, message: `${KIND_HINT[err.kind]}: ${err.message}` }
    else if (err instanceof AppError) outcome = { isOk: false, message: err.message }
    else throw err
  } finally {
    await opened.close()
  }
  await db.transaction(async (tx) => {
    await tx
      .update(connectors)
      .set({ lastTestedAt: sql`now()`, lastTestOk: outcome.isOk, lastTestMessage: outcome.message.slice(0, 1000) })
      .where(eq(connectors.id, id))
    await appendAudit(tx, actor, { action: 'connector.test', objectType: 'connector', objectId: id, after: outcome })
  })
  return outcome
}
