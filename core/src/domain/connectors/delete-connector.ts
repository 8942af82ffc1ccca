import { eq } from 'drizzle-orm'
import { deleteCredentials } from '../../crypto/credentials.ts'
import type { Db } from '../../db/client.ts'
import { connectors } from '../../db/schema/index.ts'
import { notFound } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { appendAudit } from '../audit/append-audit.ts'

/** Deletes a connector and its secrets; audited with its settings. @throws FORBIDDEN, NOT_FOUND */
export const deleteConnector = async (db: Db, actor: Actor, id: number) => {
  assertCan(actor, 'system.manage')
  return db.transaction(async (tx) => {
    const [row] = await tx.delete(connectors).where(eq(connectors.id, id)).returning()
    if (!row) throw notFound('connector')
    await deleteCredentials(tx, 'connector', id)
    await appendAudit(tx, actor, {
      action: 'connector.delete',
      objectType: 'connector',
      objectId: id,
      before: { kind: row.kind, name: row.name, settings: row.settings },
    })
    return { id, deleted: true as const }
  })
}
