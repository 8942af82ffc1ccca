import { eq } from 'drizzle-orm'
import { createHttpClient, resolveUnderPolicy } from '../../connectors/http.ts'
import { instantiateConnector, manifestOf } from '../../connectors/index.ts'
import { caOf } from '../../connectors/pem.ts'
import type { CallContext, Connector } from '../../connectors/types.ts'
import { getCredential } from '../../crypto/credentials.ts'
import type { Keyring } from '../../crypto/master-secret.ts'
import type { DbOrTx } from '../../db/client.ts'
import { connectors } from '../../db/schema/index.ts'
import { AppError, notFound } from '../../errors.ts'
import type { Logger } from '../../log.ts'
import { readProxySettings } from '../../settings/proxy.ts'

/**
 * Builds a usable instance of a stored connector and the context its calls take: an HTTP client
 * and resolver under the instance's egress policy, the system proxy, the instance's private CA if
 * its settings name one, the caller's abort signal.
 * Call `close()` when done. No permission check: callers (a job, `testConnector`) have checked.
 * @throws AppError NOT_FOUND; UNAVAILABLE when the connector is disabled (unless `evenDisabled`)
 */
export const openConnector = async (
  db: DbOrTx,
  keyring: Keyring,
  id: number,
  opts: { signal: AbortSignal; log: Logger; evenDisabled?: boolean },
): Promise<{ row: typeof connectors.$inferSelect; connector: Connector; ctx: CallContext; close(): Promise<void> }> => {
  const [row] = await db.select().from(connectors).where(eq(connectors.id, id))
  if (!row) throw notFound('connector')
  if (!row.isEnabled && !opts.evenDisabled) throw new AppError('UNAVAILABLE', `connector ${row.name} is disabled`)
  const manifest = manifestOf(row.kind)
  const secrets: Record<string, string> = {}
  for (const s of manifest.secrets) {
    const value = await getCredential(db, keyring, { ownerKind: 'connector', ownerId: id, name: s.name })
    if (value !== undefined) secrets[s.name] = value
  }
  const policy = { isOnPremises: row.isOnPremises }
  const proxy = await readProxySettings(db)
  // a private CA an on-premises kind's settings name (ews `caCertificate`), else the system's
  const http = createHttpClient({ policy, proxy: proxy.url ? proxy : undefined, ca: caOf(row.settings) })
  const connector = instantiateConnector(row.kind, row.settings, secrets)
  const ctx: CallContext = {
    signal: opts.signal,
    log: opts.log.child({ connector: row.name, kind: row.kind }),
    http,
    resolve: (host) => resolveUnderPolicy(policy, host),
  }
  return { row, connector, ctx, close: () => http.close() }
}
