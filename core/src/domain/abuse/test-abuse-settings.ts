import type { Keyring } from '../../crypto/master-secret.ts'
import type { Db } from '../../db/client.ts'
import type { Logger } from '../../log.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { parseAbuseSettings } from './abuse-settings.ts'
import { assertReadableConnector } from './create-abuse-mailbox.ts'
import { probeAbuseMailbox } from './probe-abuse-mailbox.ts'

/**
 * "Test connection" of abuse-mailbox settings not saved yet (the setup form): the same probe as for
 * a stored source — log in, open the folder, count, read and move nothing. Nothing is written.
 * @throws AppError FORBIDDEN without sources.write; INVALID_REQUEST naming the field (`settings.<field>`).
 */
export const testAbuseSettings = async (db: Db, keyring: Keyring, log: Logger, actor: Actor, raw: unknown) => {
  assertCan(actor, 'sources.write')
  const settings = parseAbuseSettings(raw)
  await assertReadableConnector(db, settings.connectorId)
  return probeAbuseMailbox(db, keyring, log, settings)
}
