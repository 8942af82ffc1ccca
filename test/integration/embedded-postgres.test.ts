import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import postgres from 'postgres'
import { afterAll, describe, expect, it } from 'vitest'
import { socketUrl } from '../../core/src/db/client.ts'
import { socketDirFor, stopAbandonedPostgres } from '../../core/src/db/embedded.ts'
import { createLogger } from '../../core/src/log.ts'
import { freePort, runNode, waitReady } from '../harness/process.ts'

/**
 * The embedded PostgreSQL of a checkout as a new user meets it (issue 13, items 15 and 16): a port
 * that another checkout holds, and a server process killed with SIGKILL.
 */
const dirs: string[] = []
const tempDir = (name: string) => {
  const d = mkdtempSync(path.join(tmpdir(), `clawback-${name}-`))
  dirs.push(d)
  return d
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

/** A real listener on 127.0.0.1:port; undefined when something else already holds the port (busy either way). */
const occupy = (port: number) =>
  new Promise<Server | undefined>((resolve) => {
    const s = createServer()
    s.once('error', () => resolve(undefined))
    s.listen(port, '127.0.0.1', () => resolve(s))
  })

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ')
  } catch {
    return false
  }
}

const postmaster = (dataDir: string) => {
  const lines = readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')
  return { pid: Number(lines[0]), port: Number(lines[3]) }
}

const webEnv = async (dataDir: string) => ({
  CLAWBACK_DATA_DIR: dataDir,
  PORT: String(await freePort()),
  CONSOLE_PORT: String(await freePort()),
})

describe('a busy embedded PostgreSQL port', () => {
  it('exits naming the port and the setting when the port set in CLAWBACK_EMBEDDED_PG_PORT is taken', async () => {
    const pgPort = await freePort()
    const listener = await occupy(pgPort)
    try {
      const proc = runNode('console/src/main.ts', [], {
        ...(await webEnv(tempDir('busy-set'))),
        CLAWBACK_EMBEDDED_PG_PORT: String(pgPort),
      })
      expect(await proc.exited).toBe(2)
      expect(proc.output()).toContain(`port ${pgPort} on 127.0.0.1 is already in use`)
      expect(proc.output()).toMatch(/set CLAWBACK_EMBEDDED_PG_PORT to a free port/)
      expect(proc.output()).not.toMatch(/\bundefined\b/)
    } finally {
      listener?.close()
    }
  })

  it('picks a free port when the default one is taken, remembers it, and clawbackctl uses it later', {
    timeout: 180_000,
  }, async () => {
    // a second checkout: the default port (54329) is held by someone else
    const listener = await occupy(54329)
    const dataDir = tempDir('busy-default')
    const env = await webEnv(dataDir)
    try {
      const proc = runNode('console/src/main.ts', [], env)
      try {
        await waitReady(`http://127.0.0.1:${env.PORT}/readyz`, proc, 120_000)
      } finally {
        proc.child.kill('SIGTERM')
        expect(await proc.exited).toBe(0)
      }
      const remembered = Number(readFileSync(path.join(dataDir, 'pg.port'), 'utf8').trim())
      expect(remembered).toBeGreaterThan(0)
      expect(remembered).not.toBe(54329)
      expect(proc.output()).toContain(`port 54329 is in use; embedded PostgreSQL uses port ${remembered}`)
      expect(existsSync(path.join(dataDir, 'pg', 'postmaster.pid'))).toBe(false)

      // clawbackctl alone starts the same cluster on the remembered port (the data is there)
      const verify = runNode('appliance/bin/clawbackctl.ts', ['audit', 'verify'], { CLAWBACK_DATA_DIR: dataDir })
      expect(await verify.exited).toBe(0)
      expect(verify.output()).toMatch(/audit chain intact: \d+ records/)
      expect(readFileSync(path.join(dataDir, 'pg.port'), 'utf8').trim()).toBe(String(remembered))
    } finally {
      listener?.close()
    }
  })
})

describe('after kill -9 of the server process', () => {
  it('the next process adopts the embedded PostgreSQL left running and stops it on a graceful stop', {
    timeout: 240_000,
  }, async () => {
    const dataDir = tempDir('adopt')
    const env = { ...(await webEnv(dataDir)), CLAWBACK_EMBEDDED_PG_PORT: String(await freePort()) }
    const ready = `http://127.0.0.1:${env.PORT}/readyz`

    const first = runNode('console/src/main.ts', [], env)
    await waitReady(ready, first, 120_000)
    const pg = postmaster(dataDir)
    first.child.kill('SIGKILL')
    await first.exited
    expect(isAlive(pg.pid)).toBe(true) // the orphan this item is about

    const second = runNode('console/src/main.ts', [], env)
    try {
      await waitReady(ready, second, 120_000)
      expect(postmaster(dataDir).pid).toBe(pg.pid)
      // the adopting process talks to it over its Unix socket too (in the data dir, owner only)
      const socket = path.join(dataDir, 'pg', `.s.PGSQL.${pg.port}`)
      expect(statSync(socket).isSocket()).toBe(true)
      expect(statSync(socket).mode & 0o777).toBe(0o700)
      const password = readFileSync(path.join(dataDir, 'pg.password'), 'utf8').trim()
      const sql = postgres(`postgres://clawback:${password}@127.0.0.1:${pg.port}/clawback`, {
        max: 1,
        onnotice: () => {},
      })
      try {
        const [byRole] = await sql<{ unix: number; tcp: number }[]>`
          SELECT count(*) FILTER (WHERE client_addr IS NULL)::int AS unix, count(*) FILTER (WHERE client_addr IS NOT NULL)::int AS tcp
          FROM pg_stat_activity WHERE application_name LIKE 'clawback%' AND pid <> pg_backend_pid()`
        expect(byRole!.unix).toBeGreaterThan(0)
        expect(byRole!.tcp).toBe(0)
        // durable commits, and checkpoints spaced for intake's WAL (embedded.ts, issue 16)
        const settings = await sql<{ name: string; setting: string; unit: string | null }[]>`
          SELECT name, setting, unit FROM pg_settings
          WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'max_wal_size', 'checkpoint_timeout')
          ORDER BY name`
        expect(Object.fromEntries(settings.map((s) => [s.name, `${s.setting}${s.unit ?? ''}`]))).toEqual({
          checkpoint_timeout: '900s',
          fsync: 'on',
          full_page_writes: 'on',
          max_wal_size: '4096MB',
          synchronous_commit: 'on',
        })
      } finally {
        await sql.end()
      }
    } finally {
      second.child.kill('SIGTERM')
      expect(await second.exited).toBe(0)
    }
    expect(isAlive(pg.pid)).toBe(false)
    const free = await occupy(pg.port)
    expect(free).toBeDefined()
    free?.close()
    expect(existsSync(path.join(dataDir, 'pg', 'postmaster.pid'))).toBe(false)
  })
})

describe('a PostgreSQL abandoned by a killed process', () => {
  it('is stopped by stopAbandonedPostgres (as the test setup does), and one whose process runs is left alone', {
    timeout: 240_000,
  }, async () => {
    const dataDir = tempDir('abandoned')
    const env = { ...(await webEnv(dataDir)), CLAWBACK_EMBEDDED_PG_PORT: String(await freePort()) }
    const log = createLogger('silent')
    const first = runNode('console/src/main.ts', [], env)
    await waitReady(`http://127.0.0.1:${env.PORT}/readyz`, first, 120_000)
    const pg = postmaster(dataDir)
    try {
      expect(await stopAbandonedPostgres(dataDir, log)).toBe(false) // its owner still runs
      expect(isAlive(pg.pid)).toBe(true)
    } finally {
      first.child.kill('SIGKILL')
      await first.exited
    }
    expect(isAlive(pg.pid)).toBe(true)
    expect(await stopAbandonedPostgres(dataDir, log)).toBe(true)
    expect(isAlive(pg.pid)).toBe(false)
    const free = await occupy(pg.port)
    expect(free).toBeDefined()
    free?.close()
    expect(await stopAbandonedPostgres(dataDir, log)).toBe(false) // nothing left to stop
  })
})

describe('the embedded PostgreSQL URL', () => {
  it('names the Unix socket in libpq form, and openDb turns it into the socket file', () => {
    const [url, options] = socketUrl('postgres://clawback:pw@127.0.0.1:54329/clawback?host=%2Fdata%2Fpg')
    expect(url).toBe('postgres://clawback:pw@127.0.0.1:54329/clawback')
    expect(options).toEqual({ path: '/data/pg/.s.PGSQL.54329' })
    expect(socketUrl('postgres://a:b@db.example:5432/x')).toEqual(['postgres://a:b@db.example:5432/x', {}])
  })

  it('keeps to TCP when the data directory is too deep for a socket path (108 bytes)', () => {
    expect(socketDirFor('/var/lib/clawback/pg')).toBe('/var/lib/clawback/pg')
    expect(socketDirFor(`/${'d'.repeat(90)}/pg`)).toBeUndefined()
  })
})
