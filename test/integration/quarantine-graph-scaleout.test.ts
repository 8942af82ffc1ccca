import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { eq, inArray, sql } from 'drizzle-orm'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { loadOrCreateMasterSecret } from '../../core/src/crypto/master-secret.ts'
import { auditLog, quarantineRecords, responseRuns } from '../../core/src/db/schema/index.ts'
import { createConnector } from '../../core/src/domain/connectors/create-connector.ts'
import { type PgBoss, startBoss } from '../../core/src/jobs/boss.ts'
import { enqueue } from '../../core/src/jobs/enqueue.ts'
import { responseRunJob } from '../../core/src/jobs/response-run.ts'
import { createLogger } from '../../core/src/log.ts'
import { SYSTEM } from '../../core/src/policy/actor.ts'
import { createTestDb, type TestDb } from '../harness/db.ts'
import { type Proc, ROOT, runNode } from '../harness/process.ts'
import { type GraphPeer, startGraphPeer } from '../peers/graph.ts'

/**
 * Scale-out (issue 17): two worker processes on one PostgreSQL pull one campaign — the same
 * message in the same mailboxes, reported as two incidents, each with its quarantine run — at the
 * same time on the loopback Graph peer. Graph allows 4 concurrent requests per mailbox; each
 * process keeps to 4 on its own, so only the per-mailbox locks across processes keep the sum there.
 * The peer records every request past 4 as a violation; every copy must be quarantined exactly once.
 */
const MAILBOXES = 200
const MID = '<scale-out@evil.example>'
let testDb: TestDb
let dataDir: string
let peer: GraphPeer
let boss: PgBoss
const workers: Proc[] = []

const startWorker = () => {
  const proc = runNode(
    'console/src/main.ts',
    [],
    {
      DATABASE_URL: testDb.url,
      CLAWBACK_DATA_DIR: dataDir,
      CLAWBACK_ROLES: 'worker',
      CLAWBACK_WORKER_CONCURRENCY: '1',
      LOG_LEVEL: 'info', // its 'clawback started' line tells the test it is live
    },
    undefined,
    ['--import', path.join(ROOT, 'test/harness/loopback-only.ts')],
  )
  workers.push(proc)
  return proc
}
const mailbox = (i: number) => `scale${String(i).padStart(4, '0')}@contoso.example`

beforeAll(async () => {
  testDb = await createTestDb()
  dataDir = mkdtempSync(path.join(tmpdir(), 'clawback-graph-scaleout-'))
  // slow answers: one run is still busy with the mailboxes when the other process starts on them
  peer = await startGraphPeer({ latencyMs: 300 })
  boss = await startBoss(testDb.url, createLogger('warn'), { supervise: false, max: 2 })
})
afterAll(async () => {
  for (const w of workers) w.child.kill('SIGKILL')
  await boss?.stop({ graceful: false })
  await peer?.close()
  await testDb.drop()
  rmSync(dataDir, { recursive: true, force: true })
})

it('two worker processes pulling one campaign never exceed 4 concurrent requests per mailbox, and quarantine every copy once', {
  timeout: 300_000,
}, async () => {
  const { db } = testDb
  const keyring = loadOrCreateMasterSecret(path.join(dataDir, 'master.key'))
  await createConnector(db, keyring, SYSTEM, {
    kind: 'msgraph',
    name: 'contoso',
    settings: {
      tenantId: peer.tenantId,
      clientId: peer.clientId,
      authorityHost: peer.authorityHost,
      graphBaseUrl: peer.baseUrl,
      domains: ['contoso.example'],
      caCertificate: peer.ca,
    },
    secrets: { clientSecret: peer.clientSecret },
    isOnPremises: true,
  })
  const recipients = Array.from({ length: MAILBOXES }, (_, i) => mailbox(i))
  for (const m of recipients) peer.state.deliver(m, { internetMessageId: MID, isRead: m.endsWith('3@contoso.example') })
  // Two worker processes, one job each at a time, both live before the runs are queued: a process
  // that came up late would find the first run finished and the second taken (no overlap to test).
  const pair = [startWorker(), startWorker()]
  await expect
    .poll(() => pair.every((w) => w.output().includes('clawback started')), { timeout: 120_000, interval: 250 })
    .toBe(true)
    .catch((err: Error) => {
      // what the processes said (one died on CONFLICT creating the initial admin: create-initial-admin.test.ts)
      throw new Error(`${err.message}\n${pair.map((w, i) => `worker ${i}:\n${w.output().slice(-2000)}`).join('\n')}`)
    })
  const runIds: number[] = []
  const incidentIds: number[] = []
  for (const n of [1, 2]) {
    const rows =
      (await db.execute(sql`WITH s AS (INSERT INTO sources (name, type) VALUES (${`scale-src-${n}`}, 'json') RETURNING id),
        i AS (INSERT INTO incidents (summary) VALUES ('graph campaign') RETURNING id),
        a AS (INSERT INTO alerts (source_id, incident_id, raw, classification) SELECT s.id, i.id, '{}', 'phish' FROM s, i RETURNING id),
        e AS (INSERT INTO alert_emails (alert_id, message_id, sender, recipients, subject)
          SELECT a.id, ${MID}, 'attacker@evil.example', string_to_array(${recipients.join(',')}, ','), 'Invoice' FROM a)
      SELECT (SELECT id FROM i) AS incident_id`)) as unknown as { incident_id: string }[]
    const incidentId = Number(rows[0]!.incident_id)
    const [run] = await db
      .insert(responseRuns)
      .values({
        incidentId,
        responseType: 'mail.quarantine',
        params: { followForwards: false },
        status: 'queued',
        idempotencyKey: `graph-scaleout-${n}`,
      })
      .returning()
    incidentIds.push(incidentId)
    runIds.push(run!.id)
    await enqueue(boss, db, responseRunJob, { runId: run!.id, action: 'run' as const })
  }
  await expect
    .poll(
      async () =>
        (await db.select().from(responseRuns).where(inArray(responseRuns.id, runIds))).every(
          (r) => r.status === 'succeeded' || r.status === 'failed',
        ),
      { timeout: 240_000, interval: 500 },
    )
    .toBe(true)
  const done = await db.select().from(responseRuns).where(inArray(responseRuns.id, runIds))
  expect(done.map((r) => [r.status, r.error])).toEqual([
    ['succeeded', null],
    ['succeeded', null],
  ])
  // the two runs were under way at the same time (else this test could not fail)
  const [a, b] = done as [(typeof done)[0], (typeof done)[0]]
  expect(a.startedAt!.getTime()).toBeLessThan(b.finishedAt!.getTime())
  expect(b.startedAt!.getTime()).toBeLessThan(a.finishedAt!.getTime())

  expect(peer.violations).toEqual([])
  expect(peer.stats.maxConcurrent).toBeLessThanOrEqual(4)
  for (const m of recipients) {
    const copies = peer.state.locate(m, MID)
    expect(copies, m).toHaveLength(1)
    expect(copies[0], m).toMatchObject({ isHidden: true, isRead: m.endsWith('3@contoso.example') })
  }
  // every copy moved once, by one of the two runs; the other found it already in quarantine
  const moves = (await db.select().from(auditLog).where(eq(auditLog.action, 'quarantine.move'))).map(
    (m) => (m.after as { mailbox: string }).mailbox,
  )
  expect(moves.sort()).toEqual([...recipients].sort())
  for (const incidentId of incidentIds) {
    const records = await db.select().from(quarantineRecords).where(eq(quarantineRecords.incidentId, incidentId))
    expect(records.map((r) => r.status)).toEqual(recipients.map(() => 'successful'))
  }
  console.info(
    `graph scale-out: runs ${a.startedAt!.toISOString()}–${a.finishedAt!.toISOString()} and ${b.startedAt!.toISOString()}–${b.finishedAt!.toISOString()}; peer max concurrent per mailbox ${peer.stats.maxConcurrent}`,
  )
})
