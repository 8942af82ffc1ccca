import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { DEFAULT_LINKING_RULES, linkKeyOf } from '../../core/src/domain/alerts/link-key.ts'
import { appendIntake } from '../../core/src/domain/intake/append-intake.ts'
import { startIntakeLinker } from '../../core/src/domain/intake/intake-linker.ts'
import { normalizeAlert } from '../../core/src/domain/intake/normalize-alert.ts'
import { createLogger } from '../../core/src/log.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { alertBody, makeJsonSource } from '../harness/intake.ts'
import { waitFor } from '../harness/wait-for.ts'

/**
 * Every linked row leaves a dead tuple in the intake log that the next claim walks past: the
 * linker vacuums the log itself once enough rows went through it, without waiting for autovacuum.
 */
let t: TestApp
beforeAll(async () => {
  t = await startTestApp({}, { linker: false })
})
afterAll(async () => {
  await t?.close()
})

const vacuums = async () => {
  const [row] = (await t.deps.db.execute(
    sql`SELECT vacuum_count::int AS n FROM pg_stat_user_tables WHERE relname = 'intake_log'`,
  )) as unknown as { n: number }[]
  return row!.n
}
const waiting = async () =>
  Number(
    ((await t.deps.db.execute(sql`SELECT count(*)::int AS n FROM intake_log`)) as unknown as { n: number }[])[0]!.n,
  )

it('vacuums the intake log after the configured number of rows linked', async () => {
  const src = await makeJsonSource(t)
  for (let i = 0; i < 30; i++) expect((await src.post(alertBody(), {}, { wait: false })).status).toBe(200)
  expect(await waiting()).toBe(30)
  const before = await vacuums()
  const stop = await startIntakeLinker(t.deps.db, t.deps.boss, createLogger('silent'), {
    batch: 10,
    vacuumRows: 20,
    vacuumEveryMs: 0,
  })
  try {
    await waitFor(async () => (await waiting()) === 0, 'the intake log to be linked')
    await waitFor(async () => (await vacuums()) > before, 'a VACUUM of intake_log')
  } finally {
    await stop()
  }
})

it('does not vacuum before that many rows', async () => {
  const src = await makeJsonSource(t)
  for (let i = 0; i < 5; i++) expect((await src.post(alertBody(), {}, { wait: false })).status).toBe(200)
  const before = await vacuums()
  const stop = await startIntakeLinker(t.deps.db, t.deps.boss, createLogger('silent'), {
    vacuumRows: 1000,
    vacuumEveryMs: 0,
  })
  try {
    await waitFor(async () => (await waiting()) === 0, 'the intake log to be linked')
  } finally {
    await stop()
  }
  expect(await vacuums()).toBe(before)
})

it('under load the linker gathers longer before it links, and goes back to a short wait when the load is gone', async () => {
  const src = await makeJsonSource(t)
  const stop = await startIntakeLinker(t.deps.db, t.deps.boss, createLogger('silent'), {
    gatherMs: 20,
    busyGatherMs: 2500,
    busyRows: 10,
    pollMs: 600_000,
  })
  // Time from an append (one statement, one NOTIFY) until the log is empty again.
  const linkedAfter = async (n: number) => {
    const items = Array.from({ length: n }, () => {
      const body = alertBody()
      const alert = normalizeAlert(body)
      return {
        sourceId: src.source.id,
        raw: JSON.stringify(body),
        alert,
        link: linkKeyOf(alert, DEFAULT_LINKING_RULES),
      }
    })
    const t0 = performance.now()
    await appendIntake(t.deps.db, items)
    await waitFor(async () => (await waiting()) === 0, 'the intake log to be linked')
    return performance.now() - t0
  }
  try {
    await linkedAfter(1) // the linker's first pass (at start) linked nothing: a short wait
    await linkedAfter(12) // a pass of ≥ busyRows: the next wake-up gathers for busyGatherMs
    expect(await linkedAfter(1)).toBeGreaterThan(2000)
    // That pass linked one alert: back to the short wait.
    expect(await linkedAfter(1)).toBeLessThan(1500)
  } finally {
    await stop()
  }
})
