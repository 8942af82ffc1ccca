import { existsSync, statSync } from 'node:fs'
import type { Server } from 'node:http'
import type { Deps } from '../../core/src/deps.ts'
import { readSetting } from '../../core/src/settings/settings-store.ts'
import { readAgentSettings } from './agent/agent-settings.ts'
import { startCollectionEndpoint } from './agent/collection-endpoint.ts'
import { registerTlsServer, reloadTls, tlsServerOptions, WEB_TLS_KEY, ZWebTls } from './tls/tls-context.ts'
import { tlsFiles } from './tls/tls-files.ts'

/** Other processes (the api unit, clawbackctl) change certificates and settings too: poll cheaply. */
const POLL_MS = 15_000

/** The web roles' TLS options (self-signed certificate created at first start). For core/src/server.ts. */
export const applianceTlsOptions = (deps: Deps) => tlsServerOptions(deps.db, deps.config.dataDir)

/**
 * What the appliance runs beside the web roles: with TLS, every web server is registered so an
 * installed certificate or a new minimum version applies without a restart; with the console role
 * and CLAWBACK_AGENT_ENDPOINT=true (the appliance unit sets it), the agents' TLS collection
 * endpoint on the port from the agent settings. Changes made by another process (certificate
 * installed through the console unit, settings set by clawbackctl) are picked up within 15 s.
 * Returns the stop function.
 */
export const startApplianceServices = async (deps: Deps, servers: Server[]) => {
  const unregister = deps.config.tls
    ? servers.map((s) => registerTlsServer(s as unknown as Parameters<typeof registerTlsServer>[0]))
    : []
  const endpoint =
    deps.config.roles.has('console') && deps.config.agentEndpoint
      ? await startCollectionEndpoint({
          db: deps.db,
          dataDir: deps.config.dataDir,
          host: deps.config.agentHost,
          log: deps.log,
        })
      : undefined
  if (endpoint) deps.log.info({ port: endpoint.port }, 'agent collection endpoint listening')
  const fingerprint = async () => {
    const f = tlsFiles(deps.config.dataDir)
    const mtime = existsSync(f.cert) ? statSync(f.cert).mtimeMs : 0
    return JSON.stringify([
      mtime,
      await readSetting(deps.db, WEB_TLS_KEY, ZWebTls),
      endpoint ? await readAgentSettings(deps.db) : null,
    ])
  }
  let last = deps.config.tls || endpoint ? await fingerprint() : ''
  const timer =
    deps.config.tls || endpoint
      ? setInterval(async () => {
          try {
            const now = await fingerprint()
            if (now === last) return
            last = now
            await reloadTls(deps.db, deps.config.dataDir)
            await endpoint?.reload()
            deps.log.info('TLS configuration reloaded')
          } catch (err) {
            deps.log.warn({ err }, 'TLS reload failed')
          }
        }, POLL_MS)
      : undefined
  timer?.unref()
  return async () => {
    if (timer) clearInterval(timer)
    for (const u of unregister) u()
    await endpoint?.close()
  }
}
