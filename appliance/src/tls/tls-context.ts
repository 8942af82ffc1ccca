import { readFileSync } from 'node:fs'
import type { SecureContextOptions, Server as TlsServer } from 'node:tls'
import { z } from 'zod'
import type { Db, DbOrTx } from '../../../core/src/db/client.ts'
import { appendAudit } from '../../../core/src/domain/audit/append-audit.ts'
import type { Actor } from '../../../core/src/policy/actor.ts'
import { assertCan } from '../../../core/src/policy/index.ts'
import { readSetting, writeSetting } from '../../../core/src/settings/settings-store.ts'
import { ensureSelfSigned, tlsFiles } from './tls-files.ts'

export const ZWebTls = z.object({ minVersion: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2') })
export type WebTls = z.infer<typeof ZWebTls>
export const WEB_TLS_KEY = 'tls.web'

/** The web roles' TLS options from `<data>/tls` (self-signed created on first use) and the setting. */
export const webTlsOptions = (dataDir: string, setting: WebTls = { minVersion: 'TLSv1.2' }): SecureContextOptions => {
  const f = ensureSelfSigned(dataDir)
  return { cert: readFileSync(f.cert), key: readFileSync(f.key), minVersion: setting.minVersion }
}

const servers = new Set<{ setSecureContext: TlsServer['setSecureContext'] }>()

/**
 * Wiring for core/src/server.ts when CLAWBACK_TLS=true: `serverOptions` for `https.createServer`,
 * then `registerTlsServer(server)`, so that an installed certificate or a changed minimum version
 * reaches every web role of this process without a restart (`server.setSecureContext`).
 */
export const tlsServerOptions = async (db: DbOrTx, dataDir: string) =>
  webTlsOptions(dataDir, await readSetting(db, WEB_TLS_KEY, ZWebTls))
export const registerTlsServer = (server: { setSecureContext: TlsServer['setSecureContext'] }) => {
  servers.add(server)
  return () => servers.delete(server)
}

/** Re-reads the certificate and the setting and applies them to every registered server. */
export const reloadTls = async (db: DbOrTx, dataDir: string) => {
  if (servers.size === 0) return 0
  const options = await tlsServerOptions(db, dataDir)
  for (const s of servers) s.setSecureContext(options)
  return servers.size
}

/** Sets the web roles' minimum TLS version (1.2 or 1.3). Audited; applied without a restart. */
export const setWebTls = async (db: Db, actor: Actor, dataDir: string, value: WebTls) => {
  assertCan(actor, 'system.manage')
  const next = ZWebTls.parse(value)
  await db.transaction(async (tx) => {
    const before = await readSetting(tx, WEB_TLS_KEY, ZWebTls)
    await writeSetting(tx, WEB_TLS_KEY, next, actor.userId)
    await appendAudit(tx, actor, {
      action: 'tls.settings',
      objectType: 'setting',
      objectId: WEB_TLS_KEY,
      before,
      after: next,
    })
  })
  await reloadTls(db, dataDir)
  return next
}

export { tlsFiles }
