import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../../test/harness/app.ts'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp()
})
afterAll(() => t.close())

describe('health', () => {
  it('answers liveness and readiness as JSON', async () => {
    expect(await (await t.api.request('/healthz')).json()).toEqual({ status: 'ok' })
    const ready = await t.api.request('/readyz')
    expect(ready.status).toBe(200)
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { database: true, migrations: true } })
  })

  it('reports not ready when a readiness check fails', async () => {
    t.deps.readiness.workers = () => false
    const res = await t.api.request('/readyz')
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({ status: 'not_ready', checks: { workers: false } })
    delete t.deps.readiness.workers
  })
})
