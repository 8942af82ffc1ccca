import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { createServer, type SecureContextOptions, type TLSSocket } from 'node:tls'
import type { DbOrTx } from '../../../core/src/db/client.ts'
import type { Logger } from '../../../core/src/log.ts'
import { opsPaths } from '../ops/paths.ts'
import { webTlsOptions } from '../tls/tls-context.ts'
import { type AgentSettings, readAgentSettings } from './agent-settings.ts'

const MAX_LINE = 4 * 1024 * 1024
const live = new Set<() => Promise<unknown>>()

/** Applies changed agent settings to the endpoints of this process at once (others poll). */
export const reloadCollectionEndpoints = async () => {
  for (const reload of live) await reload()
}

/**
 * TLS options for agents: the appliance certificate, the configured minimum version, and — only
 * when an admin allowed TLS 1.0/1.1 — OpenSSL security level 0, without which OpenSSL 3 refuses
 * those versions whatever minVersion says.
 */
export const agentTlsOptions = (dataDir: string, s: AgentSettings): SecureContextOptions => {
  const { cert, key } = webTlsOptions(dataDir)
  const isLegacy = s.tlsMinVersion !== 'TLSv1.2'
  return { cert, key, minVersion: s.tlsMinVersion, ...(isLegacy ? { ciphers: 'DEFAULT@SECLEVEL=0' } : {}) }
}

/**
 * The collection endpoint agents talk to: a TLS listener honouring the agent TLS setting. Agents
 * send one JSON document per line (collection results); each is stored under `<data>/agent-inbox`
 * and acknowledged with `{"ok":true,"id":...}`. `reload()` applies a changed setting or certificate
 * to new connections without restarting the listener.
 */
export const startCollectionEndpoint = async (input: {
  db: DbOrTx
  dataDir: string
  host?: string
  port?: number
  log: Logger
}) => {
  const settings = await readAgentSettings(input.db)
  const inbox = opsPaths(input.dataDir).agentInbox
  mkdirSync(inbox, { recursive: true, mode: 0o700 })
  const server = createServer(
    { ...agentTlsOptions(input.dataDir, settings), handshakeTimeout: 10_000 },
    (socket: TLSSocket) => {
      let buf = ''
      socket.setEncoding('utf8')
      socket.on('data', (chunk: string) => {
        buf += chunk
        if (buf.length > MAX_LINE) {
          socket.end('{"ok":false,"error":"line too long"}\n')
          return
        }
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          const line = buf.slice(0, nl)
          buf = buf.slice(nl + 1)
          try {
            const doc = JSON.parse(line)
            const id = `${Date.now()}-${randomBytes(4).toString('hex')}`
            writeFileSync(
              path.join(inbox, `${id}.json`),
              JSON.stringify({
                receivedAt: new Date().toISOString(),
                protocol: socket.getProtocol(),
                peer: socket.remoteAddress,
                doc,
              }),
              { mode: 0o600 },
            )
            socket.write(`${JSON.stringify({ ok: true, id })}\n`)
          } catch {
            socket.write('{"ok":false,"error":"expected one JSON document per line"}\n')
          }
        }
      })
      socket.on('error', () => {})
    },
  )
  server.on('tlsClientError', (err) => input.log.debug({ err: err.message }, 'agent TLS handshake refused'))
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(input.port ?? settings.port, input.host ?? '0.0.0.0', () => resolve())
  })
  const reload = async () => {
    const s = await readAgentSettings(input.db)
    server.setSecureContext(agentTlsOptions(input.dataDir, s))
    return s
  }
  live.add(reload)
  return {
    server,
    port: (server.address() as AddressInfo).port,
    reload,
    close: () => {
      live.delete(reload)
      return new Promise<void>((r) => server.close(() => r()))
    },
  }
}
