import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import postgres from 'postgres'

/** Benchmarks run the real all-in-one process (`npm start` path) on their own data dir and ports. */
export const BENCH = {
  // intake and link-replay run on fresh data dirs of their own; the list benchmark keeps its generated data
  dataDir: path.resolve(
    process.env.BENCH_DATA_DIR ??
      (path.basename(process.argv[1] ?? '').startsWith('intake')
        ? 'test/.tmp/bench-intake'
        : path.basename(process.argv[1] ?? '').startsWith('link-replay')
          ? 'test/.tmp/bench-link'
          : 'test/.tmp/bench'),
  ),
  port: Number(process.env.BENCH_PORT ?? 8280),
  consolePort: Number(process.env.BENCH_CONSOLE_PORT ?? 8281),
  pgPort: Number(process.env.BENCH_PG_PORT ?? 54359),
}

export const benchEnv = () => ({
  ...process.env,
  CLAWBACK_DATA_DIR: BENCH.dataDir,
  CLAWBACK_CONFIG: '/dev/null',
  PORT: String(BENCH.port),
  CONSOLE_PORT: String(BENCH.consolePort),
  CLAWBACK_EMBEDDED_PG_PORT: String(BENCH.pgPort),
  DATABASE_URL: '',
  LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
})

/** Starts `node console/src/main.ts` (api + worker + console, embedded PostgreSQL) and waits for /healthz. */
export const startServer = async (): Promise<ChildProcess> => {
  mkdirSync(BENCH.dataDir, { recursive: true })
  // A server left running on the port would answer /healthz for ours and be measured instead.
  const stale = await fetch(`http://127.0.0.1:${BENCH.port}/healthz`).then(
    () => true,
    () => false,
  )
  if (stale) throw new Error(`port ${BENCH.port} is already in use (a server left running?); stop it or set BENCH_PORT`)
  // Same flags as `npm start` (package.json).
  const proc = spawn(
    process.execPath,
    [
      '--max-semi-space-size=16',
      ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean), // later flags win
      'console/src/main.ts',
    ],
    {
      env: benchEnv(),
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  )
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${BENCH.port}/healthz`)).ok) return proc
    } catch {}
    await new Promise((r) => setTimeout(r, 200))
  }
  proc.kill('SIGKILL')
  throw new Error('server did not start')
}

export const stopServer = async (proc: ChildProcess) => {
  proc.kill('SIGTERM')
  await new Promise((r) => proc.once('exit', r))
}

/** The embedded PostgreSQL URL of the bench data dir (its password file is written at first start). */
export const benchDbUrl = () => {
  const pw = readFileSync(path.join(BENCH.dataDir, 'pg.password'), 'utf8').trim()
  return `postgres://clawback:${encodeURIComponent(pw)}@127.0.0.1:${BENCH.pgPort}/clawback`
}

/** `clawbackctl ...` against the bench data dir; returns stdout. */
export const ctl = (...args: string[]) =>
  execFileSync(process.execPath, ['appliance/bin/clawbackctl.ts', ...args], { env: benchEnv(), encoding: 'utf8' })

export const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN

/**
 * BENCH_SETUP_SQL: statements run on the bench database before any alert is posted, to measure a
 * variant of the schema or its storage (`ALTER TABLE alerts RESET (toast_tuple_target)`)
 * against the same run without a migration.
 */
export const runSetupSql = async () => {
  if (!process.env.BENCH_SETUP_SQL) return
  const sql = postgres(benchDbUrl(), { max: 1, onnotice: () => {} })
  try {
    await sql.unsafe(process.env.BENCH_SETUP_SQL)
  } finally {
    await sql.end()
  }
}
