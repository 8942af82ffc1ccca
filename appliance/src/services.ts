import type { Server } from 'node:http'
import type { Deps } from '../../core/src/api/env.ts'
import { startCollectionEndpoint } from './agent/collection-endpoint.ts'
import { registerTlsServer, tlsServerOptions } from './tls/tls-context.ts'

/** The web roles' TLS options (self-signed certificate created at first start). For core/src/server.ts. */
export const applianceTlsOptions = (deps: Deps) => tlsServerOptions(deps.db, deps.config.dataDir)

/**
 * What the appliance runs beside the web roles: with TLS, every web server is registered so an
 * installed certificate or a new minimum version applies without a restart; with the console role
 * and CLAWBACK_AGENT_ENDPOINT=true (the appliance unit sets it), the agents' TLS collection
 * endpoint on the port from the agent settings. Returns the stop function.
 */
export const startApplianceServices = async (deps: Deps, servers: Server[]) => {
  const unregister = deps.config.tls
    ? servers.map((s) => registerTlsServer(s as unknown as Parameters<typeof registerTlsServer>[0]))
    : []
  const endpoint =
    deps.config.roles.has('console') && process.env.CLAWBACK_AGENT_ENDPOINT === 'true'
      ? await startCollectionEndpoint({
          db: deps.db,
          dataDir: deps.config.dataDir,
          host: process.env.CLAWBACK_AGENT_HOST ?? '0.0.0.0',
          log: deps.log,
        })
      : undefined
  if (endpoint) deps.log.info({ port: endpoint.port }, 'agent collection endpoint listening')
  return async () => {
    for (const u of unregister) u()
    await endpoint?.close()
  }
}
