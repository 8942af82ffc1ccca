import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { ConnectorError } from '../../core/src/connectors/errors.ts'
import { sessions, users } from '../../core/src/db/schema/index.ts'
import { listFailedJobs } from '../../core/src/domain/jobs/list-failed-jobs.ts'
import { retryJob } from '../../core/src/domain/jobs/retry-job.ts'
import { AppError } from '../../core/src/errors.ts'
import { enqueue, ensureQueues } from '../../core/src/jobs/boss.ts'
import { jobSpec, withHandler } from '../../core/src/jobs/define-job.ts'
import { sessionsPurgeWorker } from '../../core/src/jobs/handlers/sessions-purge.ts'
import { startWorkers } from '../../core/src/jobs/worker.ts'
import { SYSTEM } from '../../core/src/policy/actor.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp()
})
afterAll(() => t.close())

const waitFor = async <T>(probe: () => Promise<T | undefined>, ms = 20_000) => {
  const until = Date.now() + ms
  for (;;) {
    const v = await probe()
    if (v) return v
    if (Date.now() > until) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 100))
  }
}

const seen: string[] = []
const echoJob = withHandler(
  jobSpec({
    name: 'test.echo',
    payload: z.object({ word: z.string() }),
    queue: { retryLimit: 0, deadLetter: 'test.echo.dlq' },
  }),
  async ({ word }) => {
    if (word === 'bad') throw new AppError('INVALID_REQUEST', 'refusing bad word')
    seen.push(word)
    return { word }
  },
)

let backlogDone = 0
const backlogJob = withHandler(
  jobSpec({ name: 'test.backlog', payload: z.object({ n: z.number() }), queue: { retryLimit: 0 } }),
  async () => {
    backlogDone++
    return {}
  },
)

describe('jobs', () => {
  it('drain a backlog without waiting for the next poll between full batches', async () => {
    const { boss, db, log, keyring } = t.deps
    await ensureQueues(boss, [backlogJob])
    await db.transaction(async (tx) => {
      for (let n = 0; n < 60; n++) await enqueue(boss, tx, backlogJob, { n })
    })
    const started = Date.now()
    await startWorkers(boss, { db, log, keyring, dataDir: t.dataDir }, 4, [backlogJob])
    await waitFor(async () => (backlogDone === 60 ? true : undefined))
    // Polling once a second, 4 at a time, 60 jobs would take at least 14 s.
    expect(Date.now() - started).toBeLessThan(7_000)
  })

  it('are enqueued with the write that caused them: a rolled-back transaction leaves no job', async () => {
    const { boss, db } = t.deps
    await ensureQueues(boss, [echoJob])
    await expect(
      db.transaction(async (tx) => {
        await enqueue(boss, tx, echoJob, { word: 'ghost' })
        throw new Error('rollback')
      }),
    ).rejects.toThrow('rollback')
    await db.transaction((tx) => enqueue(boss, tx, echoJob, { word: 'real' }))
    const jobs = await boss.findJobs('test.echo')
    expect(jobs.map((j) => (j.data as { word: string }).word)).toEqual(['real'])
  })

  it('reject an invalid payload before anything is written', async () => {
    await expect(
      t.deps.db.transaction((tx) => enqueue(t.deps.boss, tx, echoJob, { word: 3 } as never)),
    ).rejects.toThrow()
  })

  it('run in workers; permanent failures are dead-lettered, listed, and can be redriven', async () => {
    const { boss, db, log, keyring } = t.deps
    await startWorkers(boss, { db, log, keyring, dataDir: t.dataDir }, 2, [echoJob])
    await waitFor(async () => (seen.includes('real') ? true : undefined))
    await db.transaction((tx) => enqueue(boss, tx, echoJob, { word: 'bad' }))
    const failed = await waitFor(async () => {
      const list = await listFailedJobs(db, SYSTEM)
      return list.find((j) => j.queue === 'test.echo.dlq') ? list : undefined
    })
    const dead = failed.find((j) => j.queue === 'test.echo.dlq')!
    expect(dead.sourceQueue).toBe('test.echo')
    const original = failed.find((j) => j.queue === 'test.echo' && j.state === 'failed')
    expect(original?.error).toMatchObject({ message: 'refusing bad word' })
    const redriven = await retryJob(db, boss, SYSTEM, 'test.echo.dlq', dead.id)
    expect(redriven.queue).toBe('test.echo')
    expect((await listFailedJobs(db, SYSTEM)).some((j) => j.id === dead.id)).toBe(false)
  })

  it('listing failed jobs needs system.manage', async () => {
    await expect(listFailedJobs(t.deps.db, { ...SYSTEM, kind: 'user', permissions: new Set() })).rejects.toThrow(
      /system.manage/,
    )
  })

  it('sessions.purge removes only expired sessions', async () => {
    const { db } = t.deps
    const [u] = await db.insert(users).values({ username: 'purge-me' }).returning()
    await db.insert(sessions).values([
      { idHash: 'old', userId: u!.id, csrfToken: 'x', expiresAt: sql`now() - interval '1 minute'` as never },
      { idHash: 'live', userId: u!.id, csrfToken: 'y', expiresAt: sql`now() + interval '1 hour'` as never },
    ])
    const out = await sessionsPurgeWorker.run(
      {},
      {
        db,
        boss: t.deps.boss,
        log: t.deps.log,
        keyring: t.deps.keyring,
        dataDir: t.dataDir,
        signal: new AbortController().signal,
      },
    )
    expect(out).toEqual({ removed: 1 })
    expect((await db.select().from(sessions)).map((s) => s.idHash)).toEqual(['live'])
  })

  it("honour a connector's Retry-After: the next attempt waits at least that long, not the queue's retry delay", async () => {
    const { boss, db, log, keyring } = t.deps
    let runs = 0
    const throttled = withHandler(
      jobSpec({ name: 'test.throttled', payload: z.object({}), queue: { retryLimit: 3, retryDelay: 0 } }),
      async () => {
        runs++
        throw new ConnectorError('rate_limited', 'peer: HTTP 429', { retryAfterMs: 8_000 })
      },
    )
    await ensureQueues(boss, [throttled])
    const id = await db.transaction((tx) => enqueue(boss, tx, throttled, {}))
    const enqueuedAt = Date.now()
    await startWorkers(boss, { db, log, keyring, dataDir: t.dataDir }, 1, [throttled])
    const job = await waitFor(async () => {
      const j = await boss.getJobById('test.throttled', id!)
      return j?.state === 'retry' ? j : undefined
    })
    expect(runs).toBe(1)
    expect(job.startAfter.getTime() - enqueuedAt).toBeGreaterThanOrEqual(7_000)
  })
})
