import { inArray } from 'drizzle-orm'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { alerts } from '../../core/src/db/schema/index.ts'
import { DEFAULT_LINKING_RULES, linkKeyOf } from '../../core/src/domain/alerts/link-key.ts'
import { IntakeQueue } from '../../core/src/domain/intake/intake-queue.ts'
import { normalizeAlert } from '../../core/src/domain/intake/normalize-alert.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { alertBody, drainIntake, makeJsonSource } from '../harness/intake.ts'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp()
})
afterAll(() => t.close())

it('group commit: when a batch fails in the database, its other alerts are stored one by one and only the bad one is refused', async () => {
  const { source } = await makeJsonSource(t)
  const queue = new IntakeQueue(t.deps.db, { maxFlushes: 1 })
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
  await drainIntake(t)
  const stored = await t.deps.db.select({ id: alerts.id }).from(alerts).where(inArray(alerts.id, ids))
  expect(stored.map((r) => r.id).sort()).toEqual([...ids].sort())
})

it('a batch waits for an uncommitted batch holding the same link key, then joins its incident (no duplicate)', async () => {
  const { source } = await makeJsonSource(t)
  const key = `mid:<held-${Date.now()}@x>`
  let nextId = 2_000_000_000 + Math.floor(Math.random() * 1_000_000)
  const batch = () =>
    JSON.stringify([
      {
        alert_id: nextId++,
        link_key: key,
        link_win: null,
        inc: { type: 'Phishing', severity: 'High', score: 4000, summary: 's', source_id: source.id },
        alert: {
          source_id: source.id,
          raw: '{}',
          raw_content_type: 'application/json',
          classification: 'phish',
          severity: 'major',
          summary: 's',
          description: '',
          attackers: [],
          targets: [],
          cnc_hosts: [],
          forensics_hosts: [],
          detector: {},
          threat_info: {},
          custom_fields: {},
        },
        emails: [],
        hosts: [],
        users: [],
      },
    ])
  const a = await t.deps.db.$client.reserve()
  try {
    await a`BEGIN`
    const [first] = await a<{ incident_id: string }[]>`SELECT incident_id FROM intake_store_alerts(${batch()}::jsonb)`
    // B runs in its own transaction while A is still open: it must wait on A's link-key lock.
    const b = t.deps.db.$client<{ incident_id: string; is_new: boolean }[]>`
      SELECT incident_id, is_new FROM intake_store_alerts(${batch()}::jsonb)`.execute()
    let waiting = false
    for (let i = 0; i < 100 && !waiting; i++) {
      const [w] = await t.deps.db.$client<{ n: number }[]>`
        SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND wait_event = 'advisory'`
      waiting = w!.n > 0
      if (!waiting) await new Promise((r) => setTimeout(r, 20))
    }
    expect(waiting).toBe(true)
    await a`COMMIT`
    const [second] = await b
    expect(second!.incident_id).toBe(first!.incident_id)
    expect(second!.is_new).toBe(false)
  } finally {
    await a`ROLLBACK`.catch(() => {})
    a.release()
  }
})
