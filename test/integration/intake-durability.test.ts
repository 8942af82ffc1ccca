import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { loadOrCreateMasterSecret } from '../../core/src/crypto/master-secret.ts'
import { createSource } from '../../core/src/domain/sources/create-source.ts'
import { SYSTEM } from '../../core/src/policy/actor.ts'
import { createTestDb, type TestDb } from '../harness/db.ts'
import { alertBody } from '../harness/intake.ts'
import { freePort } from '../harness/process.ts'

// Kills the real server process (SIGKILL) in the middle of sustained intake (its linker busy too),
// restarts it, waits for the intake log to drain, and checks that every alert that was answered 2xx
// is stored and linked exactly once.
let testDb: TestDb
let dataDir: string
let child: ChildProcess | undefined
let PORT = 0

const start = async () => {
  const proc = spawn(process.execPath, ['console/src/main.ts'], {
    env: {
      ...process.env,
      DATABASE_URL: testDb.url,
      CLAWBACK_DATA_DIR: dataDir,
      CLAWBACK_CONFIG: '/dev/null',
      CLAWBACK_ROLES: 'api,worker',
      PORT: String(PORT),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  // Up to 60 s: a cold start transforms the TypeScript sources, slow on a loaded 2-core machine.
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${PORT}/healthz`)).ok) return proc
    } catch {}
    await new Promise((r) => setTimeout(r, 100))
  }
  proc.kill('SIGKILL')
  throw new Error('server did not start')
}

beforeAll(async () => {
  testDb = await createTestDb()
  PORT = await freePort()
  dataDir = mkdtempSync(path.join(tmpdir(), 'clawback-durable-'))
})
afterAll(async () => {
  child?.kill('SIGKILL')
  await testDb.drop()
  rmSync(dataDir, { recursive: true, force: true })
})

it('every alert answered 2xx survives a SIGKILL of the server, exactly once', async () => {
  const keyring = loadOrCreateMasterSecret(path.join(dataDir, 'master.key'))
  const { token } = await createSource(testDb.db, keyring, SYSTEM, { name: 'durable', type: 'json' })
  child = await start()
  const url = `http://127.0.0.1:${PORT}/threat/json_event/events/${token}`
  const acked = new Set<string>()
  const sent = new Set<string>()
  let stop = false
  let n = 0
  const worker = async (w: number) => {
    while (!stop) {
      const marker = `m-${w}-${n++}`
      sent.add(marker)
      try {
        const res = await fetch(url, {
          method: 'POST',
          body: JSON.stringify(alertBody({ summary: marker }, { message_id: `<${marker}@x>` })),
        })
        if (res.ok) acked.add(marker)
        await res.text()
      } catch {
        // the connection died with the server: not acknowledged
      }
    }
  }
  const workers = Array.from({ length: 16 }, (_, w) => worker(w))
  // Kill once intake is well under way, however fast this machine is today.
  const deadline = Date.now() + 60_000
  while (acked.size < 300 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
  child.kill('SIGKILL')
  await new Promise((r) => child!.once('exit', r))
  stop = true
  await Promise.all(workers)
  expect(acked.size).toBeGreaterThanOrEqual(300)

  child = await start()
  const after = await fetch(url, { method: 'POST', body: JSON.stringify(alertBody({ summary: 'after-restart' })) })
  expect(after.status).toBe(200)
  // The restarted server's linker drains what the killed one left in the intake log.
  const drained = Date.now() + 60_000
  let backlog = -1
  while (backlog !== 0 && Date.now() < drained) {
    const [b] = await testDb.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM intake_log`)
    backlog = b!.n
    if (backlog) await new Promise((r) => setTimeout(r, 100))
  }
  expect(backlog).toBe(0)
  child.kill('SIGTERM')
  await new Promise((r) => child!.once('exit', r))
  child = undefined

  const rows = await testDb.db.execute<{ summary: string; n: number }>(
    sql`SELECT summary, count(*)::int AS n FROM alerts WHERE incident_id IS NOT NULL GROUP BY summary`,
  )
  const stored = new Map(rows.map((r) => [r.summary, r.n]))
  const missing = [...acked].filter((m) => stored.get(m) !== 1)
  expect(missing).toEqual([])
  expect(rows.filter((r) => r.n > 1)).toEqual([])
  expect(stored.get('after-restart')).toBe(1)
  const unlinked = await testDb.db.execute(sql`SELECT id FROM alerts WHERE incident_id IS NULL`)
  expect(unlinked.length).toBe(0)
  // Each marker has its own message-id: one incident per alert, none opened twice.
  const shared = await testDb.db.execute(
    sql`SELECT incident_id FROM alerts WHERE summary LIKE 'm-%' GROUP BY incident_id HAVING count(*) > 1`,
  )
  expect(shared.length).toBe(0)
  const keys = await testDb.db.execute(
    sql`SELECT key FROM incident_link_keys WHERE key LIKE 'mid:%' GROUP BY key HAVING count(*) > 1`,
  )
  expect(keys.length).toBe(0)
  // Alerts whose answer was lost may or may not be stored, but never half: each stored alert has its email.
  const orphans = await testDb.db.execute(
    sql`SELECT a.id FROM alerts a LEFT JOIN alert_emails e ON e.alert_id = a.id WHERE e.id IS NULL AND a.summary LIKE 'm-%'`,
  )
  expect(orphans.length).toBe(0)
  expect([...stored.keys()].filter((k) => k.startsWith('m-') && !sent.has(k))).toEqual([])
}, 180_000)
