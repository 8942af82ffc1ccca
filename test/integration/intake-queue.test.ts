import { inArray } from 'drizzle-orm'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { alerts } from '../../core/src/db/schema/index.ts'
import { IntakeQueue } from '../../core/src/domain/intake/intake-queue.ts'
import { DEFAULT_LINKING_RULES, linkKeyOf } from '../../core/src/domain/intake/link-key.ts'
import { normalizeAlert } from '../../core/src/domain/intake/normalize-alert.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { alertBody, makeJsonSource } from '../harness/intake.ts'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp()
})
afterAll(() => t.close())

it('group commit: when a batch fails in the database, its other alerts are stored one by one and only the bad one is refused', async () => {
  const { source } = await makeJsonSource(t)
  const queue = new IntakeQueue(t.deps.db, t.deps.boss, { maxFlushes: 1 })
  const item = (sourceId: number) => {
    const body = alertBody()
    const alert = normalizeAlert(body)
    return { sourceId, raw: JSON.stringify(body), alert, link: linkKeyOf(alert, DEFAULT_LINKING_RULES) }
  }
  // Submitted in one event-loop turn, so they share a batch; source 2^31-1 does not exist (FK).
  const results = await Promise.allSettled([
    queue.submit(item(source.id)),
    queue.submit(item(2_147_483_647)),
    queue.submit(item(source.id)),
    queue.submit(item(source.id)),
  ])
  expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled'])
  expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/foreign key/)
  const ids = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.alertId] : []))
  const stored = await t.deps.db.select({ id: alerts.id }).from(alerts).where(inArray(alerts.id, ids))
  expect(stored.map((r) => r.id).sort()).toEqual([...ids].sort())
})
