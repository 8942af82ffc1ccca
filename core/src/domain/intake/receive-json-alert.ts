import type { Db } from '../../db/client.ts'
import { AppError } from '../../errors.ts'
import { linkKeyOf } from '../alerts/link-key.ts'
import { resolveSourceToken } from '../sources/source-token.ts'
import { intakeQueueFor } from './intake-queue.ts'
import { normalizeAlert } from './normalize-alert.ts'

/**
 * Takes one JSON alert posted to a source's token URL and resolves once it is committed to the
 * intake log (group commit) with its alert id; the linker links it to an incident afterwards
 * (`waitLinked` waits for that). The raw body is kept verbatim.
 * @throws AppError NOT_FOUND for an unknown or disabled token (or a non-JSON source),
 *   INVALID_REQUEST naming the field that cannot be read. Nothing is stored when it throws.
 */
export const receiveJsonAlert = async (db: Db, token: string, body: string) => {
  const source = await resolveSourceToken(db, token)
  if (!source?.isEnabled || source.type !== 'json') throw new AppError('NOT_FOUND', 'unknown or disabled source')
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    throw new AppError('INVALID_REQUEST', 'body: not valid JSON')
  }
  const alert = normalizeAlert(parsed)
  const stored = await intakeQueueFor(db).submit({
    sourceId: source.id,
    raw: body,
    alert,
    link: linkKeyOf(alert, source.rules),
  })
  return { ...stored, source }
}
