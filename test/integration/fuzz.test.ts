import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../harness/app.ts'
import {
  collectTargets,
  type FuzzCase,
  makeFixtures,
  makeRoles,
  type Role,
  refreshRoles,
  requestArb,
  runCase,
  type Target,
} from '../harness/fuzz.ts'

/**
 * Issue 13 item 10, the bounded run: every route (OpenAPI document + route table) with every role
 * at least once, then random requests for the rest of the time budget. No 5xx, no hang, and a
 * refused write (4xx) leaves the database unchanged. The long run is test/bench/fuzz.ts.
 */
const TIMEOUT_MS = 5000
const RANDOM_SECONDS = Number(process.env.FUZZ_SECONDS ?? 15)

let t: TestApp
let targets: Target[]
let roles: Role[]
let ids: number[]
beforeAll(async () => {
  t = await startTestApp({ CLAWBACK_MAX_ATTACHMENT_BYTES: '100000' })
  ids = await makeFixtures(t)
  targets = await collectTargets(t)
  roles = await makeRoles(t)
}, 60_000)
afterAll(() => t.close())

const failures: string[] = []
const check = async (c: FuzzCase) => {
  const o = await runCase(t, c, TIMEOUT_MS)
  if (o.hung) failures.push(`hang: ${c.label}`)
  else if (o.status >= 500) failures.push(`${o.status}: ${c.label}`)
  else if (o.halfStored) failures.push(`${o.status} changed the database: ${c.label}`)
  return o
}

describe('fuzz (issue 13 item 10)', () => {
  it('covers the documented API and the route table of both apps', () => {
    const keys = targets.map((x) => `${x.app} ${x.method} ${x.path}`)
    expect(keys).toContain('api PATCH /api/v1/incidents/:id')
    expect(keys).toContain('api POST /threat/json_event/events/:token')
    expect(keys).toContain('api POST /incidents/:id/assign')
    expect(keys).toContain('console POST /backups/upload')
    expect(targets.filter((x) => x.body).length).toBeGreaterThan(20)
  })

  it('every route with every role: no 5xx, no hang, no half-stored data', async () => {
    let n = 0
    for (const target of targets) {
      for (const role of roles) {
        const [c] = fc.sample(requestArb([target], [role], ids), { numRuns: 1, seed: n++ })
        await check(c!)
      }
      if (n % 60 === 0) roles = await refreshRoles(t, roles)
    }
    expect(failures).toEqual([])
  }, 180_000)

  it(`random requests for ${RANDOM_SECONDS} s: no 5xx, no hang, no half-stored data`, async () => {
    const deadline = Date.now() + RANDOM_SECONDS * 1000
    let runs = 0
    await fc.assert(
      fc.asyncProperty(requestArb(targets, roles, ids), async (c) => {
        if (++runs % 200 === 0) roles.splice(0, roles.length, ...(await refreshRoles(t, roles)))
        const o = await runCase(t, c, TIMEOUT_MS)
        if (o.hung || o.status >= 500 || o.halfStored)
          throw new Error(`${o.hung ? 'hang' : o.status}${o.halfStored ? ' (changed the database)' : ''}: ${c.label}`)
      }),
      {
        numRuns: 1_000_000,
        interruptAfterTimeLimit: RANDOM_SECONDS * 1000,
        markInterruptAsFailure: false,
        endOnFailure: true,
      },
    )
    expect(Date.now()).toBeLessThan(deadline + 60_000)
  }, 180_000)
})
