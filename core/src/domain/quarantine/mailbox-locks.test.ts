import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDb, type TestDb } from '../../../../test/harness/db.ts'
import { createLogger } from '../../log.ts'
import { SYSTEM } from '../../policy/actor.ts'
import type { QuarantineContext } from './connector-calls.ts'
import { withMailboxLocks } from './mailbox-locks.ts'

let testDb: TestDb
const ctx = (signal = new AbortController().signal): QuarantineContext => ({
  db: testDb.db,
  keyring: undefined as never,
  log: createLogger('silent'),
  signal,
  actor: SYSTEM,
  incidentId: 1,
  runId: null,
})
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

beforeAll(async () => {
  testDb = await createTestDb()
})
afterAll(() => testDb.drop())

describe('withMailboxLocks', () => {
  it('works a mailbox in one run at a time: the other run works the rest first and that mailbox after release', async () => {
    const order: string[] = []
    let release!: () => void
    const held = new Promise<void>((r) => {
      release = r
    })
    let started!: () => void
    const isHolding = new Promise<void>((r) => {
      started = r
    })
    const first = withMailboxLocks(
      ctx(),
      ['A@x.example'],
      (m) => m,
      async (items) => {
        order.push(`1:${items.join()}`)
        started()
        await held
        order.push('1:done')
      },
    )
    await isHolding
    const second = withMailboxLocks(
      ctx(),
      ['a@x.example', 'b@x.example'],
      (m) => m,
      async (items) => {
        order.push(`2:${items.join()}`)
      },
    )
    await sleep(600)
    // b was worked at once; a (the same mailbox as A, case aside) waits for the first run
    expect(order).toEqual(['1:A@x.example', '2:b@x.example'])
    release()
    expect(await first).toEqual([])
    expect(await second).toEqual([])
    expect(order).toEqual(['1:A@x.example', '2:b@x.example', '1:done', '2:a@x.example'])
  })

  it('answers what it could not work when the run is aborted, and releases its locks when work throws', async () => {
    let release!: () => void
    const held = new Promise<void>((r) => {
      release = r
    })
    const first = withMailboxLocks(
      ctx(),
      ['c@x.example'],
      (m) => m,
      () => held,
    )
    await sleep(200)
    const abort = new AbortController()
    const second = withMailboxLocks(
      ctx(abort.signal),
      ['c@x.example'],
      (m) => m,
      async () => {
        throw new Error('never worked')
      },
    )
    await sleep(300)
    abort.abort()
    expect(await second).toEqual(['c@x.example'])
    release()
    await first
    await expect(
      withMailboxLocks(
        ctx(),
        ['c@x.example'],
        (m) => m,
        async () => {
          throw new Error('boom')
        },
      ),
    ).rejects.toThrow('boom')
    // the failed run's lock is gone: the mailbox is worked at once
    const got: string[] = []
    await withMailboxLocks(
      ctx(),
      ['c@x.example'],
      (m) => m,
      async (items) => void got.push(...items),
    )
    expect(got).toEqual(['c@x.example'])
  })
})
