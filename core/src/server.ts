import type { Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { SecureContextOptions } from 'node:tls'
import { serve } from '@hono/node-server'
import type { Hono } from 'hono'
import { buildApiApp } from './api/app.ts'
import { buildConsoleApp } from './api/console-app.ts'
import type { AppEnv } from './api/env.ts'
import { ConfigError, describeConfig, loadConfig } from './config.ts'
import type { Deps } from './deps.ts'
import { startAbusePollers } from './domain/abuse/abuse-pollers.ts'
import { startIntakeLinker } from './domain/intake/intake-linker.ts'
import { createInitialAdmin } from './domain/setup/create-initial-admin.ts'
import { ensureBuiltins } from './domain/setup/ensure-builtins.ts'
import { ALL_JOBS } from './jobs/all-jobs.ts'
import { startBoss } from './jobs/boss.ts'
import type { AnyJobDef } from './jobs/define-job.ts'
import { startWorkers } from './jobs/worker.ts'
import { createLogger } from './log.ts'
import { openRuntime } from './runtime.ts'

export type Mounts = {
  api?: (app: Hono<AppEnv>) => void
  console?: (app: Hono<AppEnv>) => void
  /** TLS options for the web roles when CLAWBACK_TLS=true (appliance/: certificate in the data dir) */
  tlsOptions?: (deps: Deps) => Promise<SecureContextOptions>
  /** started after the web roles listen (certificate reload, agent endpoint); returns its stop function */
  services?: (deps: Deps, servers: Server[]) => Promise<() => Promise<void>>
  /** every job this process knows: core's plus other layers' (core never imports appliance/) */
  jobs?: AnyJobDef[]
}

/** How long an idle kept-alive connection of the web roles stays open (see listen). */
export const KEEP_ALIVE_MS = 65_000

/**
 * How long one request may take on the management console: an upgrade IMG (~370 MiB) uploaded over
 * a slow link (the boot test's qemu user network moves ~1.3 MiB/s) takes longer than Node's 300 s
 * default, which the API role keeps. Headers stay bounded by headersTimeout (60 s) and bodies by
 * each route's size limit (forms before sign-in: a few KB).
 */
export const CONSOLE_REQUEST_TIMEOUT_MS = 60 * 60_000

/** Serves a role's app (HTTPS when `tls` is given), as the web roles listen. */
export const listen = (
  app: Hono<AppEnv>,
  host: string,
  port: number,
  tls?: SecureContextOptions,
  limits: { requestTimeoutMs?: number } = {},
) =>
  new Promise<Server>((resolve, reject) => {
    const https = tls ? { createServer: createHttpsServer, serverOptions: tls } : {}
    const server = serve({ fetch: app.fetch, hostname: host, port, ...https }, () =>
      resolve(server as Server),
    ) as Server
    // An idle kept-alive connection is closed after KEEP_ALIVE_MS, not Node's 5 s (+1 s): a client
    // that reuses the connection of its last request may take longer than that to send the next
    // one's headers — the boot test and the console page's upload script load /upgrade, then read
    // a 270 MiB IMG and encrypt it before its first byte leaves — and the server closed the
    // connection under it (client: "fetch failed", EPIPE). Clients read the hint (Keep-Alive:
    // timeout=65). Requests in progress stay bounded by headersTimeout and requestTimeout.
    server.keepAliveTimeout = KEEP_ALIVE_MS
    if (limits.requestTimeoutMs) server.requestTimeout = limits.requestTimeoutMs
    server.once('error', reject)
  })

/**
 * The process entry: `--check-config` validates and prints the redacted configuration; otherwise
 * starts the configured roles (api, worker, console; all three for `npm start`) and shuts them down
 * gracefully on SIGINT/SIGTERM: stop accepting, finish in-flight requests and jobs, close the
 * database, stop embedded PostgreSQL.
 */
export const run = async (argv: string[], mounts: Mounts = {}) => {
  let config: ReturnType<typeof loadConfig>
  try {
    config = loadConfig()
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`)
      process.exit(2)
    }
    throw err
  }
  if (argv.includes('--check-config')) {
    process.stdout.write(
      `configuration OK\n${Object.entries(describeConfig(config))
        .map(([k, v]) => `  ${k}=${v}`)
        .join('\n')}\n`,
    )
    return
  }

  const started = performance.now()
  const log = createLogger(config.logLevel)
  let runtime: Awaited<ReturnType<typeof openRuntime>>
  try {
    runtime = await openRuntime(config, log, { migrate: config.autoMigrate })
  } catch (err) {
    // a busy CLAWBACK_EMBEDDED_PG_PORT: say which and how to choose another, as for any setting
    if (!(err instanceof ConfigError)) throw err
    process.stderr.write(`${err.message}\n`)
    process.exit(2)
  }
  const { db } = runtime
  await ensureBuiltins(db)
  const admin = await createInitialAdmin(db, config.dataDir)

  const isWorker = config.roles.has('worker')
  const jobs = mounts.jobs ?? ALL_JOBS
  const boss = await startBoss(runtime.url, log, { supervise: isWorker, jobs, roles: config.roles })
  let workersUp = false
  let stopLinker = async () => {}
  let stopPollers = async () => {}
  const deps: Deps = { config, db, boss, keyring: runtime.keyring, log, readiness: {} }
  if (isWorker) {
    await startWorkers(
      boss,
      { db, log, keyring: runtime.keyring, dataDir: config.dataDir },
      config.workerConcurrency,
      jobs,
    )
    // The intake linker (issue 16): links the durable intake log into incidents in batches.
    stopLinker = await startIntakeLinker(db, boss, log)
    // Abuse mailboxes (issue 18): one poller loop per enabled abuse_mailbox source.
    stopPollers = await startAbusePollers({ db, keyring: runtime.keyring, dataDir: config.dataDir, log })
    workersUp = true
    deps.readiness.workers = () => workersUp
  } else {
    // A process without the worker role is ready when some worker on this database is live.
    deps.readiness.workers = async () =>
      (await boss.getInstances({ limit: 1000 })).some((i) => i.live && (i.name ?? '').split(',').includes('worker'))
  }

  const servers: Server[] = []
  const scheme = config.tls ? 'https' : 'http'
  const tls = config.tls ? await mounts.tlsOptions?.(deps) : undefined
  if (config.roles.has('api')) servers.push(await listen(buildApiApp(deps, mounts.api), config.host, config.port, tls))
  if (config.roles.has('console'))
    servers.push(
      await listen(buildConsoleApp(deps, mounts.console), config.host, config.consolePort, tls, {
        requestTimeoutMs: CONSOLE_REQUEST_TIMEOUT_MS,
      }),
    )
  const stopServices = (await mounts.services?.(deps, servers)) ?? (async () => {})

  log.info({ roles: [...config.roles], ms: Math.round(performance.now() - started) }, 'clawback started')
  if (config.roles.has('api'))
    process.stdout.write(`\nClawback is up: ${scheme}://${config.host}:${config.port}/ (analyst UI and API)\n`)
  if (config.roles.has('console'))
    process.stdout.write(`Management console: ${scheme}://${config.host}:${config.consolePort}/\n`)
  if (admin) {
    process.stdout.write(
      `\nFirst start: sign in as "${admin.username}" with password\n\n    ${admin.password}\n\n(also written to ${admin.file}, mode 0600; you will choose a new password at first sign-in)\n\n`,
    )
  }

  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    log.info({ signal }, 'shutting down')
    const force = setTimeout(() => {
      log.error('shutdown took too long; exiting')
      process.exit(1)
    }, 45_000)
    force.unref()
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))))
    await stopServices()
    workersUp = false
    await stopPollers()
    await stopLinker()
    await boss.stop({ graceful: true, timeout: 30_000, close: true })
    await runtime.close()
    log.info('stopped')
    process.exit(0)
  }
  process.on('SIGINT', () => void stop('SIGINT'))
  process.on('SIGTERM', () => void stop('SIGTERM'))
  return { deps, servers, stop }
}
