import { asc } from 'drizzle-orm'
import { manifestOf } from '../../connectors/index.ts'
import type { DbOrTx } from '../../db/client.ts'
import { connectors } from '../../db/schema/index.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'

/**
 * The connectors an abuse mailbox can read through (their kind has `mail.read`), for the source
 * setup form: id, name, kind and whether enabled only — never settings or secrets, so it needs
 * `sources.write`, not `system.manage`. @throws AppError FORBIDDEN
 */
export const listMailReaders = async (db: DbOrTx, actor: Actor) => {
  assertCan(actor, 'sources.write')
  const rows = await db
    .select({ id: connectors.id, name: connectors.name, kind: connectors.kind, isEnabled: connectors.isEnabled })
    .from(connectors)
    .orderBy(asc(connectors.name))
  return rows.filter((r) => manifestOf(r.kind).capabilities.includes('mail.read'))
}
