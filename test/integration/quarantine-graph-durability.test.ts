import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { eq, sql } from 'drizzle-orm'
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
 * Reliability of a Graph campaign (issue 17): the worker role runs in a child process against the
 * loopback Graph peer with 10 % of requests failing (429 + Retry-After, 503, 504 on $batch members;
 * whole $batch requests answered 503 or cut), and is SIGKILLed mid-campaign; a second worker
 * finishes. Then every copy is in quarantine exactly once (counted per mailbox on the peer), none
 * lost, results accurate; undo (same failures) puts 100 % back into their original folders with
 * their read state; the peer recorded no limit violation.
 */
const MAILBOXES = 300
const MID = '<campaign-kill@evil.example>'
const FOLDERS = ['inbox', 'inbox', 'inbox', 'deleteditems', 'junkemail', 'archive']
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
      CLAWBACK_WORKER_CONCURRENCY: '2',
    },
    undefined,
    ['--import', path.join(ROOT, 'test/harness/loopback-only.ts')],
  )
  workers.push(proc)
  return proc
}
const mailbox = (i: number) => `user${String(i).padStart(4, '0')}@contoso.example`
/** Where the campaign's copies are in every mailbox, as the peer holds them. */
const copiesOf = (i: number) => peer.state.locate(mailbox(i), MID)
const quarantinedCount = () => {
  let n = 0
  for (let i = 0; i < MAILBOXES; i++) if (copiesOf(i).some((c) => c.isHidden)) n++
  return n
}
/** Waits for the run to leave queued/running, asking pg-boss to fail a dead worker's job over at once. */
const settle = (db: TestDb['db'], runId: number, busy: RegExp) =>
  expect
    .poll(
      async () => {
        await boss.supervise(responseRunJob.name).catch(() => {})
        const [row] = await db.select().from(responseRuns).where(eq(responseRuns.id, runId))
        return row!.status
      },
      { timeout: 240_000, interval: 1000 },
    )
    .not.toMatch(busy)

beforeAll(async () => {
  testDb = await createTestDb()
  dataDir = mkdtempSync(path.join(tmpdir(), 'clawback-graph-durable-'))
  // a little latency per request so that the campaign is still under way when the worker dies
  peer = await startGraphPeer({ latencyMs: 15 })
  boss = await startBoss(testDb.url, createLogger('warn'), { supervise: false, max: 2 })
})
afterAll(async () => {
  for (const w of workers) w.child.kill('SIGKILL')
  await boss?.stop({ graceful: false })
  await peer?.close()
  await testDb.drop()
  rmSync(dataDir, { recursive: true, force: true })
})

it('a Graph campaign with 10 % failures and a worker SIGKILLed mid-way quarantines every copy exactly once, and undo restores all', {
  timeout: 600_000,
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
  const original = new Map<string, { folder: string; isRead: boolean }>()
  for (let i = 0; i < MAILBOXES; i++) {
    const m = { folder: FOLDERS[i % FOLDERS.length]!, isRead: i % 3 === 0 }
    peer.state.deliver(mailbox(i), { internetMessageId: MID, folder: m.folder, isRead: m.isRead })
    original.set(mailbox(i), m)
  }
  const recipients = [...original.keys()]
  const rows =
    (await db.execute(sql`WITH s AS (INSERT INTO sources (name, type) VALUES ('durable-src', 'json') RETURNING id),
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
      idempotencyKey: 'graph-durable-1',
    })
    .returning()
  peer.inject.memberFailureRate = 0.1
  peer.inject.batchFailureRate = 0.1
  await enqueue(boss, db, responseRunJob, { runId: run!.id, action: 'run' as const })

  const first = startWorker()
  // mid-campaign: some mailboxes pulled, most not
  await expect.poll(quarantinedCount, { timeout: 120_000, interval: 20 }).toBeGreaterThan(0)
  first.child.kill('SIGKILL')
  await first.exited
  const atKill = quarantinedCount()
  expect(atKill).toBeLessThan(MAILBOXES)

  startWorker()
  await settle(db, run!.id, /^(queued|running)$/)
  const [done] = await db.select().from(responseRuns).where(eq(responseRuns.id, run!.id))
  expect(done!.status, String(done!.error)).toBe('succeeded')
  expect(done!.attempts).toBeGreaterThanOrEqual(2)

  // every mailbox: exactly one copy, in the hidden quarantine folder, read state kept
  for (let i = 0; i < MAILBOXES; i++) {
    const copies = copiesOf(i)
    expect(copies, mailbox(i)).toHaveLength(1)
    expect(copies[0], mailbox(i)).toMatchObject({ isHidden: true, isRead: original.get(mailbox(i))!.isRead })
  }
  const records = await db.select().from(quarantineRecords).where(eq(quarantineRecords.incidentId, incidentId))
  expect(records).toHaveLength(MAILBOXES)
  for (const r of records)
    expect(r, r.mailbox).toMatchObject({
      status: 'successful',
      provider: 'msgraph',
      isRead: original.get(r.mailbox)!.isRead,
    })
  const moves = (await db.select().from(auditLog).where(eq(auditLog.action, 'quarantine.move'))).filter(
    (m) => m.objectId === String(incidentId),
  )
  expect(new Set(moves.map((m) => (m.after as { mailbox: string }).mailbox)).size).toBe(MAILBOXES)
  expect(moves).toHaveLength(MAILBOXES)

  // undo under the same failures
  await enqueue(boss, db, responseRunJob, { runId: run!.id, action: 'undo' as const })
  await settle(db, run!.id, /^(succeeded|running)$/)
  const [undone] = await db.select().from(responseRuns).where(eq(responseRuns.id, run!.id))
  expect(undone!.status, String(undone!.error)).toBe('undone')
  for (let i = 0; i < MAILBOXES; i++) {
    const want = original.get(mailbox(i))!
    const copies = copiesOf(i)
    expect(copies, mailbox(i)).toHaveLength(1)
    expect({ folder: copies[0]!.folder, isRead: copies[0]!.isRead, isHidden: copies[0]!.isHidden }, mailbox(i)).toEqual(
      {
        folder: want.folder,
        isRead: want.isRead,
        isHidden: false,
      },
    )
  }
  const after = await db.select().from(quarantineRecords).where(eq(quarantineRecords.incidentId, incidentId))
  expect(after.filter((r) => r.status === 'undone' && r.undoneAt !== null)).toHaveLength(MAILBOXES)
  expect(peer.violations).toEqual([])
  console.info(
    `graph durability: ${atKill}/${MAILBOXES} quarantined when the worker was killed; run attempts ${done!.attempts}`,
  )
})
