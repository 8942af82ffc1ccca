import { eq } from 'drizzle-orm'
import { manifestOf } from '../../connectors/index.ts'
import { routingDomains } from '../../connectors/routing-domains.ts'
import type { Capability } from '../../connectors/types.ts'
import type { DbOrTx } from '../../db/client.ts'
import { connectors } from '../../db/schema/index.ts'

const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1).toLowerCase()

/** The enabled connectors declaring a capability (kinds no longer registered are left out). */
export const connectorsWith = async (db: DbOrTx, capability: Capability) => {
  const rows = await db.select().from(connectors).where(eq(connectors.isEnabled, true))
  return rows.filter((r) => {
    try {
      return manifestOf(r.kind).capabilities.includes(capability)
    } catch {
      return false
    }
  })
}

/**
 * How mailboxes reach their mail connector: the enabled `mail.remediate` connector whose
 * `domains` setting holds the address's domain (several tenants, one connector each); when there
 * is exactly one mail connector and it lists no domains, every mailbox goes to it. `isInternal`
 * says whether an address belongs to the organisation (forward following stops at its edge).
 */
export const routeMailboxes = async (db: DbOrTx) => {
  const mail = await connectorsWith(db, 'mail.remediate')
  const byDomain = new Map<string, number>()
  for (const c of mail) {
    for (const d of routingDomains(c.settings)) if (!byDomain.has(d)) byDomain.set(d, c.id)
  }
  const fallback = mail.length === 1 && byDomain.size === 0 ? mail[0]!.id : undefined
  const connectorFor = (mailbox: string): number | undefined => byDomain.get(domainOf(mailbox)) ?? fallback
  return { connectorFor, isInternal: (address: string) => connectorFor(address) !== undefined }
}
