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
import { startWebhookReceiver } from '../peers/webhook-receiver.ts'

// Runs the worker role in a child process, SIGKILLs it while an e-mail notification is in the
// SMTP transaction (the relay has the message but holds its 250) or a webhook has been posted and
// its answer is held, starts another worker, and checks that the peer got it exactly once.
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

/** Waits until the run is done; supervision fails a dead worker's job over to a retry at once. */
const settled = (runId: number) =>
  expect
    .poll(
      async () => {
        await boss.supervise(responseRunJob.name).catch(() => {})
        const [row] = await testDb.db.select().from(responseRuns).where(eq(responseRuns.id, runId))
        return row!.status
      },
      { timeout: 120_000, interval: 1000 },
    )
    .not.toMatch(/^(queued|running)$/)

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
  await settled(run!.id)
  // give a duplicate time to arrive, then count what the recipient got
  await new Promise((r) => setTimeout(r, 2000))
  const got = smtp.messages.filter((m) => m.envelopeTo.includes('ciso@corp.example'))
  expect(got).toHaveLength(1)
  const [final] = await db.select().from(responseRuns).where(eq(responseRuns.id, run!.id))
  expect(final!.attempts).toBeGreaterThanOrEqual(2)
  expect(final!.status).toBe('partial')
  expect(final!.result).toMatchObject({ inDoubt: true, messageId: `<response-run-${run!.id}@clawback.invalid>` })
})

it('a webhook whose worker was SIGKILLed after posting, before the answer, is not posted again', {
  timeout: 150_000,
}, async () => {
  const { db } = testDb
  for (const w of workers) w.child.kill('SIGKILL') // the previous test's workers: one worker at a time
  await Promise.all(workers.map((w) => w.exited))
  const keyring = loadOrCreateMasterSecret(path.join(dataDir, 'master.key'))
  const receiver = await startWebhookReceiver('whsec-durable-0123456789', [], { holdReply: true })
  try {
    const hook = await createConnector(db, keyring, SYSTEM, {
      kind: 'webhook',
      name: 'soar',
      settings: { url: receiver.url, timeoutSeconds: 60 },
      secrets: { signingSecret: 'whsec-durable-0123456789' },
      isOnPremises: true,
    })
    const [incident] = (await db.execute(
      sql`INSERT INTO incidents (summary) VALUES ('durable webhook') RETURNING id`,
    )) as unknown as { id: string }[]
    const [run] = await db
      .insert(responseRuns)
      .values({
        incidentId: Number(incident!.id),
        responseType: 'webhook.post',
        params: { connectorId: hook.id },
        status: 'queued',
        idempotencyKey: 'durable-webhook-1',
      })
      .returning()
    await enqueue(boss, db, responseRunJob, { runId: run!.id, action: 'run' as const })

    const first = startWorker()
    // The receiver has the delivery and holds its answer: the worker waits for it.
    await expect.poll(() => receiver.deliveries.length, { timeout: 60_000, interval: 100 }).toBe(1)
    first.child.kill('SIGKILL')
    await first.exited
    receiver.release()

    startWorker()
    await settled(run!.id)
    await new Promise((r) => setTimeout(r, 2000))
    expect(receiver.deliveries).toHaveLength(1)
    expect(receiver.deliveries[0]).toMatchObject({ deliveryId: `response-run-${run!.id}`, isSignatureValid: true })
    const [final] = await db.select().from(responseRuns).where(eq(responseRuns.id, run!.id))
    expect(final!.attempts).toBeGreaterThanOrEqual(2)
    expect(final!.status).toBe('partial')
    expect(final!.result).toMatchObject({ inDoubt: true, deliveryId: `response-run-${run!.id}` })
  } finally {
    await receiver.close()
  }
})
