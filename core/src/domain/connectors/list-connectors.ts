import { asc, eq } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.ts'
import { connectors, credentials } from '../../db/schema/index.ts'
import { notFound } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { presentConnector } from './present-connector.ts'

/**
 * Every connector (or the one with `id`), with which secrets are set. Reading settings needs
 * system.manage like writing them: they name internal hosts and accounts.
 * @throws FORBIDDEN, NOT_FOUND (with id)
 */
export const listConnectors = async (db: DbOrTx, actor: Actor, id?: number) => {
  assertCan(actor, 'system.manage')
  const rows = await db
    .select()
    .from(connectors)
    .where(id === undefined ? undefined : eq(connectors.id, id))
    .orderBy(asc(connectors.name))
  if (id !== undefined && rows.length === 0) throw notFound('connector')
  const secrets = await db
    .select({ ownerId: credentials.ownerId, name: credentials.name })
    .from(credentials)
    .where(eq(credentials.ownerKind, 'connector'))
  return rows.map((row) =>
    presentConnector(
      row,
      secrets.filter((s) => s.ownerId === String(row.id)).map((s) => s.name),
    ),
  )
}
