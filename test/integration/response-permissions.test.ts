import { eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { auditLog, responseRuns } from '../../core/src/db/schema/index.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { makeApiKey, makeTeam, makeUser, signInAs } from '../harness/factories.ts'

/**
 * Per-response-type run permissions, in the authorization matrix's style: a type restricted to a
 * team is run, pressed, approved and undone (API and pages) only by that team's members; others
 * with responses.run get 403 (422 with the reason on the page); rejecting stays open; types not
 * restricted stay open to responses.run.
 */
let t: TestApp
let incidentId = 0
let listId = 0
const keys = { admin: '', analyst: '', responder: '' }
const api = async (key: string, path: string, method = 'GET', body?: unknown) => {
  const res = await t.api.request(path, {
    method,
    headers: { authorization: key, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: res.status, body: (await res.json()) as { data?: unknown; error?: { message: string } } }
}
const makeRun = async (type: string, status: string, target = '') => {
  const [row] = await t.deps.db
    .insert(responseRuns)
    .values({
      incidentId,
      responseType: type,
      params: type === 'list.add' ? { listId, valueFrom: 'senderDomains' } : {},
      target,
      status,
      result: status === 'succeeded' ? { value: target } : null,
      idempotencyKey: `perm:${Math.random()}`,
    })
    .returning()
  return row!.id
}

beforeAll(async () => {
  t = await startTestApp()
  const responders = await makeTeam(t.deps.db, { name: 'Responders', permissions: ['incidents.read', 'responses.run'] })
  keys.admin = await makeApiKey(t.deps.db, ['Admins'])
  keys.analyst = await makeApiKey(t.deps.db, ['Analysts'])
  keys.responder = await makeApiKey(t.deps.db, ['Analysts', 'Responders'])
  const [inc] = (await t.deps.db.execute(
    sql`INSERT INTO incidents (summary) VALUES ('permissions') RETURNING id`,
  )) as unknown as { id: string }[]
  incidentId = Number(inc!.id)
  listId = (
    (await api(keys.admin, '/api/v1/lists', 'POST', { name: 'Blocked', type: 'host' })).body.data as { id: number }
  ).id
  for (const type of ['incident.close', 'list.add']) {
    const res = await api(keys.admin, `/api/v1/response-types/${type}/teams`, 'PUT', { teamIds: [responders.id] })
    expect(res.status, type).toBe(200)
  }
})
afterAll(async () => {
  await t?.close()
})

describe('setting the teams of a response type', () => {
  it('needs teams.manage, a known type and known teams; is audited', async () => {
    expect(
      (await api(keys.analyst, '/api/v1/response-types/incident.close/teams', 'PUT', { teamIds: [] })).status,
    ).toBe(403)
    expect((await api(keys.admin, '/api/v1/response-types/no.such/teams', 'PUT', { teamIds: [] })).status).toBe(404)
    const bad = await api(keys.admin, '/api/v1/response-types/incident.close/teams', 'PUT', { teamIds: [999999] })
    expect(bad.status).toBe(400)
    expect(bad.body.error?.message).toMatch(/^teamIds/)
    const audit = await t.deps.db.select().from(auditLog).where(eq(auditLog.action, 'response.permissions'))
    expect(audit.map((a) => (a.after as { type: string }).type).sort()).toEqual(['incident.close', 'list.add'])
    const list = (await api(keys.analyst, '/api/v1/response-types')).body.data as { type: string; canRun: boolean }[]
    expect(list.find((r) => r.type === 'incident.close')?.canRun).toBe(false)
    expect(list.find((r) => r.type === 'webhook.post')?.canRun).toBe(true)
  })
})

describe.each([
  ['analyst (not in Responders)', 'analyst', false],
  ['responder', 'responder', true],
] as const)('%s', (_name, who, allowed) => {
  const expected = allowed ? 202 : 403
  it(`request by hand → ${expected}`, async () => {
    const res = await api(keys[who], `/api/v1/incidents/${incidentId}/responses`, 'POST', {
      type: 'incident.close',
      params: {},
    })
    expect(res.status).toBe(expected)
  })
  it.each([
    ['press', 'incident.close', 'offered'],
    ['approve', 'incident.close', 'awaiting_approval'],
    ['undo', 'list.add', 'succeeded'],
  ])(`%s a %s run → ${expected}`, async (act, type, status) => {
    const runId = await makeRun(type, status, type === 'list.add' ? 'evil.example' : '')
    const res = await api(keys[who], `/api/v1/response-runs/${runId}/${act}`, 'POST')
    expect(res.status).toBe(expected)
    const [row] = await t.deps.db.select().from(responseRuns).where(eq(responseRuns.id, runId))
    if (!allowed) expect(row!.status).toBe(status)
  })
  it('reject stays open to responses.run', async () => {
    const runId = await makeRun('incident.close', 'awaiting_approval')
    expect((await api(keys[who], `/api/v1/response-runs/${runId}/reject`, 'POST')).status).toBe(202)
  })
  it('a type without a team list stays open', async () => {
    const runId = await makeRun('webhook.post', 'offered')
    expect((await api(keys[who], `/api/v1/response-runs/${runId}/press`, 'POST')).status).toBe(202)
  })
  it(`the incident page offers the button only when allowed, and refuses the press otherwise`, async () => {
    const runId = await makeRun('incident.close', 'offered')
    const { user } = await makeUser(t.deps.db, who === 'analyst' ? ['Analysts'] : ['Analysts', 'Responders'])
    const s = await signInAs(t.api, user.username)
    const page = await (await t.api.request(`/incidents/${incidentId}`, { headers: { cookie: s.cookie } })).text()
    expect(page.includes(`action="/response-runs/${runId}/press"`)).toBe(allowed)
    const res = await t.api.request(`/response-runs/${runId}/press`, {
      method: 'POST',
      headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: s.csrf }),
    })
    expect(res.status).toBe(allowed ? 303 : 422)
    if (!allowed) expect(await res.text()).toContain('only members of the teams allowed to run incident.close')
  })
})
