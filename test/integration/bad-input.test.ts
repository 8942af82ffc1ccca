import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { makeApiKey, makeUser, PASSWORD, signInAs } from '../harness/factories.ts'
import { alertBody, makeJsonSource } from '../harness/intake.ts'

/**
 * Issue 13 item 9: input PostgreSQL cannot store or compare (NUL, lone surrogates, ids beyond
 * bigint, dates beyond its range), malformed nesting and malformed encodings get a clear 400 naming
 * the field, never a 500 — and never store anything.
 */
let t: TestApp
let admin: string
let incidentId: number
let listId: number
let csvSourceId: number
let src: Awaited<ReturnType<typeof makeJsonSource>>

beforeAll(async () => {
  t = await startTestApp()
  admin = await makeApiKey(t.deps.db, ['Admins', 'Analysts'])
  src = await makeJsonSource(t)
  incidentId = ((await (await src.post(alertBody())).json()) as { incident_id: number }).incident_id
  const list = await req('POST', '/api/v1/lists', { name: 'Bad input list', type: 'host' })
  listId = ((await list.json()) as { data: { id: number } }).data.id
  const csv = await req('POST', '/api/v1/sources', { name: 'Bad input CSV', type: 'csv' })
  csvSourceId = ((await csv.json()) as { data: { id: number } }).data.id
})
afterAll(() => t.close())

const req = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  t.api.request(path, {
    method,
    headers: { authorization: admin, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  })

/** Row counts of every table a rejected request could have written to. */
const counts = async () =>
  (
    await t.deps.db.execute<{ n: string }>(sql`
      SELECT concat_ws(',', (SELECT count(*) FROM teams), (SELECT count(*) FROM users), (SELECT count(*) FROM incident_history),
        (SELECT count(*) FROM investigations), (SELECT count(*) FROM lists), (SELECT count(*) FROM list_members),
        (SELECT count(*) FROM sources), (SELECT count(*) FROM api_keys), (SELECT count(*) FROM alerts),
        (SELECT count(*) FROM audit_log), (SELECT count(*) FROM incident_fields)) AS n`)
  )[0]!.n

const expect400 = async (res: Response | Promise<Response>, field: string) => {
  const r = await res
  const body = (await r.json()) as { error: { code: string; message: string } }
  expect({ status: r.status, code: body.error.code }).toEqual({ status: 400, code: 'INVALID_REQUEST' })
  expect(body.error.message.startsWith(`${field}:`), `"${body.error.message}" names ${field}`).toBe(true)
  return body.error.message
}

const NUL = 'a\u0000b'
const LONE = 'a\ud800b'
const id = () => incidentId

describe('bad input gets a clear 400 naming the field (issue 13 item 9)', () => {
  const bodies: [string, string, () => string, (s: string) => unknown, string][] = [
    ['POST', 'teams', () => '/api/v1/teams', (s) => ({ name: s }), 'name'],
    ['POST', 'users', () => '/api/v1/users', (s) => ({ username: 'nul', displayName: s }), 'displayName'],
    ['POST', 'comments', () => `/api/v1/incidents/${id()}/comments`, (s) => ({ summary: s }), 'summary'],
    ['PATCH', 'incident PATCH', () => `/api/v1/incidents/${id()}`, (s) => ({ description: s }), 'description'],
    ['PATCH', 'incident PATCH fields', () => `/api/v1/incidents/${id()}`, (s) => ({ fields: { [s]: 'x' } }), 'fields'],
    ['POST', 'investigations', () => '/api/v1/investigations', (s) => ({ name: s }), 'name'],
    ['POST', 'lists', () => '/api/v1/lists', (s) => ({ name: s, type: 'host' }), 'name'],
    [
      'POST',
      'list members',
      () => `/api/v1/lists/${listId}/members`,
      (s) => ({ member: `x.example`, description: s }),
      'description',
    ],
    ['POST', 'sources', () => '/api/v1/sources', (s) => ({ name: s, type: 'json' }), 'name'],
    [
      'POST',
      'sources settings',
      () => '/api/v1/sources',
      (s) => ({ name: 'S', type: 'json', settings: { a: [s] } }),
      'settings.a[0]',
    ],
    ['POST', 'api keys', () => '/api/v1/api-keys', (s) => ({ name: s, teams: ['Analysts'] }), 'name'],
    ['POST', 'incident fields', () => '/api/v1/incident-fields', (s) => ({ name: s, kind: 'text' }), 'name'],
    ['POST', 'compat comments.json', () => `/api/incidents/${id()}/comments.json`, (s) => ({ summary: s }), 'summary'],
    [
      'POST',
      'compat description.json',
      () => `/api/incidents/${id()}/description.json`,
      (s) => ({ description: s }),
      'description',
    ],
    ['POST', 'compat users.json', () => `/api/incidents/${id()}/users.json`, (s) => ({ targets: [s] }), 'targets[0]'],
    ['POST', 'compat members.json', () => `/api/lists/${listId}/members.json`, (s) => ({ member: s }), 'member'],
  ]
  for (const [method, what, path, body, field] of bodies) {
    it(`${what}: NUL and a lone surrogate in a JSON string`, async () => {
      const before = await counts()
      await expect400(req(method, path(), body(NUL)), field)
      await expect400(req(method, path(), body(LONE)), field)
      expect(await counts()).toBe(before)
    })
  }

  const queries: [string, string][] = [
    ['/api/v1/incidents?q=%00', 'q'],
    ['/api/v1/incidents?classification=a%00', 'classification'],
    ['/api/v1/incidents?abuse_disposition=%00', 'abuse_disposition'],
    ['/api/v1/audit?action=%00', 'action'],
    ['/api/v1/audit?actor=x%00', 'actor'],
    ['/api/v1/investigations?state=%00', 'state'],
    ['/api/incidents?message_id=%3Ca%00%3E', 'message_id'],
    ['/api/incidents?state=open%00', 'state'],
    ['/api/v1/incidents?team_id=99999999999999999999', 'team_id'],
    ['/api/v1/incidents?source_id=9223372036854775808', 'source_id'],
    ['/api/v1/incidents?assignee_id=99999999999999999999', 'assignee_id'],
    ['/api/v1/investigations?before_id=99999999999999999999', 'before_id'],
    ['/api/v1/audit?before=99999999999999999999', 'before'],
    ['/api/v1/incidents?created_from=99999-01-01', 'created_from'],
    ['/api/v1/incidents?closed_to=%2B275760-09-13T00:00:00Z', 'closed_to'],
    ['/api/incidents?created_after=99999-01-01', 'created_after'],
    ['/api/incidents?created_before=-000001-01-01T00:00:00Z', 'created_before'],
    ['/api/v1/audit?since=99999-01-01', 'since'],
    ['/api/v1/audit?until=%2B275760-09-13T00:00:00Z', 'until'],
  ]
  for (const [path, field] of queries) {
    it(`query ${path}`, async () => {
      await expect400(req('GET', path), field)
    })
  }

  it('an unknown team id for a new investigation (found by the fuzz run)', async () => {
    const before = await counts()
    await expect400(req('POST', '/api/v1/investigations', { name: 'n', teamId: 987654 }), 'teamId')
    expect(await counts()).toBe(before)
  })

  it('path parameters (guard() checks them on every route)', async () => {
    const before = await counts()
    for (const name of ['__proto__', 'constructor', 'toString'])
      expect((await t.api.request(`/assets/${name}`)).status, name).toBe(404)
    await expect400(req('PUT', '/api/v1/teams/a%00/members/b'), 'team')
    await expect400(req('DELETE', '/api/v1/teams/Admins/members/x%00'), 'username')
    expect(await counts()).toBe(before)
  })

  it('ids beyond bigint in JSON bodies and paths: 400 or 404, never 500', async () => {
    await expect400(req('POST', '/api/v1/incidents/close', { incidentIds: [1e20] }), 'incidentIds.0')
    await expect400(
      req('POST', '/api/incidents/close.json', { incidentIds: ['99999999999999999999'] }),
      'incidentIds.0',
    )
    await expect400(req('PUT', '/api/v1/users/1/teams', { teamIds: [2 ** 63] }), 'teamIds.0')
    await expect400(req('POST', '/api/v1/investigations', { name: 'n', teamId: 2 ** 64 }), 'teamId')
    expect((await req('GET', '/api/v1/incidents/99999999999999999999')).status).toBe(404)
    expect((await req('DELETE', '/api/v1/api-keys/99999999999999999999')).status).toBe(404)
    expect((await req('GET', '/api/v1/incidents?limit=99999999999999999999')).status).toBe(200)
    expect((await req('GET', '/api/v1/incidents/%25E0%25A4%25A')).status).toBe(404)
    expect((await req('GET', '/api/v1/incidents?q=%ED%A0%80')).status).toBe(200) // not UTF-8: read as the raw text
  })

  it('dates beyond PostgreSQL range in JSON bodies', async () => {
    const before = await counts()
    await expect400(
      req('POST', '/api/v1/api-keys', { name: 'k', teams: ['Analysts'], expiresAt: '99999-01-01' }),
      'expiresAt',
    )
    await expect400(
      req('POST', `/api/v1/lists/${listId}/members`, { member: 'a.example', expiration: '+275760-09-13T00:00:00Z' }),
      'expiration',
    )
    await expect400(
      req('POST', `/api/lists/${listId}/members.json`, { member: 'b.example', expiration: '99999-01-01' }),
      'expiration',
    )
    expect(await counts()).toBe(before)
  })

  it('analyst pages and console: query parameters and form fields (every route inherits the check)', async () => {
    const { user } = await makeUser(t.deps.db, ['Admins', 'Analysts'])
    const s = await signInAs(t.api, user.username, PASSWORD)
    const page = (path: string, body?: string) =>
      t.api.request(path, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { cookie: s.cookie, 'x-csrf-token': s.csrf, 'content-type': 'application/x-www-form-urlencoded' },
        body,
      })
    const before = await counts()
    for (const [path, field] of [
      ['/incidents?q=a%00', 'q'],
      ['/incidents?state=open&classification=%00', 'classification'],
      ['/admin/audit?action=a%00', 'action'],
      ['/admin/audit?actor=%00', 'actor'],
    ] as const) {
      const res = await page(path)
      expect(res.status, path).toBe(400)
      expect(await res.text()).toContain(`${field}: contains a NUL character`)
    }
    const res = await page(`/incidents/${id()}/comments`, 'summary=a%00b')
    expect(res.status).toBe(400)
    expect(await res.text()).toContain('summary: contains a NUL character')
    expect(await counts()).toBe(before)
  })

  describe('JSON alert intake', () => {
    const cases: [string, unknown, string][] = [
      [
        'NUL inside a JSON-encoded nested string',
        alertBody({ email: JSON.stringify({ subject: NUL }) }),
        'email.subject',
      ],
      [
        'NUL as a key inside a JSON-encoded object',
        alertBody({ threat_info: JSON.stringify({ [NUL]: 1 }) }),
        'threat_info',
      ],
      ['a lone surrogate', alertBody({ summary: LONE }), 'summary'],
      [
        'a lone surrogate inside a JSON-encoded string',
        alertBody({ detector: JSON.stringify({ product: LONE }) }),
        'detector.product',
      ],
      ['email:[null]', alertBody({ email: [null] }), 'email.0'],
      ['cnc_hosts:[null]', alertBody({ cnc_hosts: [null] }), 'cnc_hosts.0'],
      ['forensics_hosts:[null]', alertBody({ forensics_hosts: [null] }), 'forensics_hosts.0'],
      ['attachments:[null]', alertBody({}, { attachments: [null] }), 'email.attachments.0'],
      ['attacker:[null]', alertBody({ attacker: [null] }), 'attacker.0'],
      ['custom_fields:[null]', alertBody({ custom_fields: [null] }), 'custom_fields.0'],
      [
        'a JSON-encoded field nested 5,000 deep',
        alertBody({ threat_info: `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}` }),
        'threat_info',
      ],
      [
        'a JSON-encoded list nested 5,000 deep',
        alertBody({ cnc_hosts: `${'['.repeat(5000)}${']'.repeat(5000)}` }),
        'cnc_hosts',
      ],
      [
        'a delivery time beyond PostgreSQL range',
        alertBody({}, { message_delivery_time: '+275760-09-13T00:00:00Z' }),
        'email.message_delivery_time',
      ],
      [
        'a delivery time in millis beyond the range',
        alertBody({}, { message_delivery_time: { millis: 8.64e15 } }),
        'email.message_delivery_time',
      ],
    ]
    for (const [what, body, field] of cases) {
      it(what, async () => {
        const before = await counts()
        // The raw text: JSON.stringify writes a lone surrogate as its \\ud800 escape, as a client would.
        await expect400(src.post(JSON.stringify(body)), field)
        expect(await counts()).toBe(before)
      })
    }
  })

  describe('uploads', () => {
    const csv = 'message-id,recipient\r\n<a@x>,a@corp.example\r\n'
    for (const [what, name] of [
      ['NUL', 'up\u0000load.csv'],
      ['CR/LF', 'up\r\nload.csv'],
    ] as const) {
      it(`a CSV file name with ${what} (multipart upload)`, async () => {
        const before = await counts()
        const form = new FormData()
        form.append('file', new File([csv], name, { type: 'text/csv' }))
        const res = await t.api.request(`/api/v1/sources/${csvSourceId}/uploads`, {
          method: 'POST',
          headers: { authorization: admin },
          body: form,
        })
        await expect400(res, 'filename')
        expect(await counts()).toBe(before)
      })
    }

    it('a malformed percent-encoded X-File-Name on a console upload', async () => {
      const { user } = await makeUser(t.deps.db, ['Admins'])
      const s = await signInAs(t.console, user.username, PASSWORD)
      const res = await t.console.request('/backups/upload', {
        method: 'POST',
        headers: {
          cookie: s.cookie,
          'x-csrf-token': s.csrf,
          'content-type': 'application/octet-stream',
          'x-file-name': '%E0%A4%A',
        },
        body: 'not a backup',
      })
      expect(res.status).toBe(400)
      expect(await res.text()).toMatch(/X-File-Name/)
    })
  })
})
