import { and, asc, eq, inArray } from 'drizzle-orm'
import { listManifests } from '../../connectors/index.ts'
import type { DbOrTx } from '../../db/client.ts'
import { connectors } from '../../db/schema/index.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'

/**
 * The enabled connectors that can send e-mail (`notify.email`), id and name only: what a template's
 * test send may choose from. Settings stay behind system.manage (listConnectors).
 * @throws FORBIDDEN (sources.write, like the test send itself)
 */
export const listEmailConnectors = async (db: DbOrTx, actor: Actor) => {
  assertCan(actor, 'sources.write')
  const kinds = listManifests()
    .filter((m) => m.capabilities.includes('notify.email'))
    .map((m) => m.kind)
  if (kinds.length === 0) return []
  return db
    .select({ id: connectors.id, name: connectors.name, kind: connectors.kind })
    .from(connectors)
    .where(and(inArray(connectors.kind, kinds), eq(connectors.isEnabled, true)))
    .orderBy(asc(connectors.name))
}
