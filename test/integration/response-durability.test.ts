import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { loadOrCreateMasterSecret } from '../../core/src/crypto/master-secret.ts'
import { responseRuns } from '../../core/src/db/schema/index.ts'
import { createConnector } from '../../core/src/domain/connectors/create-connector.ts'
import { type PgBoss, startBoss } from '../../core/src/jobs/boss.ts'
import { enqueue } from '../../core/src/jobs/enqueue.ts'
import { responseRunJob } from '../../core/src/jobs/response-run.ts'
import { createLogger } from '../../core/src/log.ts'
import { SYSTEM } from '../../core/src/policy/actor.ts'
import { createTestDb, type TestDb } from '../harness/db.ts'
import { type Proc, ROOT, runNode } from '../harness/process.ts'
import { type SmtpPeer, startSmtpPeer } from '../peers/smtp.ts'

// Runs the worker role in a child process, SIGKILLs it while an e-mail notification is in the
// SMTP transaction (the relay has the message but holds its 250), starts another worker, and
// checks that the recipient got the notification exactly once.
let testDb: TestDb
let dataDir: string
let smtp: SmtpPeer
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
    },
    undefined,
    ['--import', path.join(ROOT, 'test/harness/loopback-only.ts')],
  )
  workers.push(proc)
  return proc
}

beforeAll(async () => {
  testDb = await createTestDb()
  dataDir = mkdtempSync(path.join(tmpdir(), 'clawback-resp-durable-'))
  smtp = await startSmtpPeer({ holdReply: true })
  boss = await startBoss(testDb.url, createLogger('warn'), { supervise: false, max: 2 })
})
afterAll(async () => {
  for (const w of workers) w.child.kill('SIGKILL')
  await boss?.stop({ graceful: false })
  await smtp?.close()
  await testDb.drop()
  rmSync(dataDir, { recursive: true, force: true })
})

it('an e-mail notification whose worker was SIGKILLed mid-SMTP and retried reaches its recipient exactly once', {
  timeout: 150_000,
}, async () => {
  const { db } = testDb
  const keyring = loadOrCreateMasterSecret(path.join(dataDir, 'master.key'))
  const relay = await createConnector(db, keyring, SYSTEM, {
    kind: 'smtp',
    name: 'relay',
    settings: { host: '127.0.0.1', port: smtp.port, security: 'none', from: 'soc@corp.example' },
    isOnPremises: true,
  })
  const rows = (await db.execute(sql`WITH t AS (
      INSERT INTO notification_templates (name, subject, body) VALUES ('durable', 'Incident {{incident.id}}', 'body')
      RETURNING id), i AS (INSERT INTO incidents (summary) VALUES ('durable') RETURNING id)
    SELECT (SELECT id FROM t) AS template_id, (SELECT id FROM i) AS incident_id`)) as unknown as {
    template_id: string
    incident_id: string
  }[]
  const [run] = await db
    .insert(responseRuns)
    .values({
      incidentId: Number(rows[0]!.incident_id),
      responseType: 'email.notify',
      params: {
        connectorId: relay.id,
        templateId: Number(rows[0]!.template_id),
        toRecipients: false,
        extraAddresses: ['ciso@corp.example'],
      },
      status: 'queued',
      idempotencyKey: 'durable-1',
    })
    .returning()
  await enqueue(boss, db, responseRunJob, { runId: run!.id, action: 'run' as const })

  const first = startWorker()
  // The relay has the whole message and holds its 250: the worker is inside the SMTP transaction.
  await expect.poll(() => smtp.messages.length, { timeout: 60_000, interval: 100 }).toBe(1)
  first.child.kill('SIGKILL')
  await first.exited
  smtp.release()

  startWorker()
  // The dead worker's job stops sending heartbeats; supervision fails it over to a retry (a worker
  // node supervises every minute; the test asks at once instead of waiting for that timer).
  const settled = await expect
    .poll(
      async () => {
        await boss.supervise(responseRunJob.name).catch(() => {})
        const [row] = await db.select().from(responseRuns).where(eq(responseRuns.id, run!.id))
        return row!.status
      },
      { timeout: 120_000, interval: 1000 },
    )
    .not.toMatch(/^(queued|running)$/)
  void settled
  // give a duplicate time to arrive, then count what the recipient got
  await new Promise((r) => setTimeout(r, 2000))
  const got = smtp.messages.filter((m) => m.envelopeTo.includes('ciso@corp.example'))
  expect(got).toHaveLength(1)
  const [final] = await db.select().from(responseRuns).where(eq(responseRuns.id, run!.id))
  expect(final!.attempts).toBeGreaterThanOrEqual(2)
  expect(final!.status).toBe('partial')
  expect(final!.result).toMatchObject({ inDoubt: true, messageId: `<response-run-${run!.id}@clawback.invalid>` })
})
