import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { auditLog, incidentHistory, incidents } from '../../core/src/db/schema/index.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { makeApiKey, makeTeam, makeUser, signInAs } from '../harness/factories.ts'

/**
 * Hosts of an incident (attacker, cnc, forensics, url) added and removed by hand (issue 13,
 * item 18): native API and the incident page, audited and in the incident's history, escaped,
 * never on a private incident of another team.
 */
let t: TestApp
let analystKey: string
let readerKey: string
let incidentId = 0
let privateId = 0
beforeAll(async () => {
  t = await startTestApp()
  const db = t.deps.db
  analystKey = await makeApiKey(db, ['Analysts'])
  const readOnly = await makeTeam(db, { permissions: ['incidents.read'] })
  readerKey = await makeApiKey(db, [readOnly.name])
  const secret = await makeTeam(db, { isPrivate: true })
  const [i] = await db.insert(incidents).values({ summary: 'Phish with hosts', state: 'open' }).returning()
  incidentId = i!.id
  const [p] = await db.insert(incidents).values({ summary: 'Private', isPrivate: true, teamId: secret.id }).returning()
  privateId = p!.id
})
afterAll(() => t.close())

const api = (key: string, method: string, path: string, body?: unknown) =>
  t.api.request(path, {
    method,
    headers: { authorization: key, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })

const audits = (action: string, id: number) =>
  t.deps.db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.action, action), eq(auditLog.objectId, String(id))))

describe('incident hosts: native API', () => {
  it('adds hosts (once each), removes one, and records both in the history and the audit log', async () => {
    const add = await api(analystKey, 'POST', `/api/v1/incidents/${incidentId}/hosts`, {
      hosts: [
        { kind: 'cnc', host: ' c2.evil.example ' },
        { kind: 'url', host: 'http://evil.example/pay?x=1' },
        { kind: 'cnc', host: 'c2.evil.example' },
      ],
    })
    expect(add.status).toBe(200)
    expect(((await add.json()) as { data: { hosts: unknown[] } }).data.hosts).toEqual([
      { kind: 'cnc', host: 'c2.evil.example' },
      { kind: 'url', host: 'http://evil.example/pay?x=1' },
    ])
    // the incident as the API shows it carries the host
    const got = await (await api(analystKey, 'GET', `/api/v1/incidents/${incidentId}`)).text()
    expect(got).toContain('c2.evil.example')

    const del = await api(
      analystKey,
      'DELETE',
      `/api/v1/incidents/${incidentId}/hosts?kind=url&host=${encodeURIComponent('http://evil.example/pay?x=1')}`,
    )
    expect(del.status).toBe(200)
    expect(((await del.json()) as { data: { hosts: unknown[] } }).data.hosts).toEqual([
      { kind: 'cnc', host: 'c2.evil.example' },
    ])

    const history = await t.deps.db.select().from(incidentHistory).where(eq(incidentHistory.incidentId, incidentId))
    expect(history.map((h) => [h.historyType, h.summary])).toEqual(
      expect.arrayContaining([
        ['hosts_added', 'cnc: c2.evil.example, url: http://evil.example/pay?x=1'],
        ['hosts_removed', 'url: http://evil.example/pay?x=1'],
      ]),
    )
    expect(await audits('incident.hosts_added', incidentId)).toHaveLength(1)
    expect(await audits('incident.hosts_removed', incidentId)).toHaveLength(1)
  })

  it('refuses bad input with a 400 naming the field, and writes without permission (403) or visibility (404)', async () => {
    const bad = async (body: unknown, field: RegExp) => {
      const res = await api(analystKey, 'POST', `/api/v1/incidents/${incidentId}/hosts`, body)
      expect(res.status).toBe(400)
      const { error } = (await res.json()) as { error: { message: string } }
      expect(error.message).toMatch(field)
      expect(error.message).not.toContain('bogus-value')
    }
    await bad({ hosts: [{ kind: 'bogus-value', host: 'x.example' }] }, /^hosts\.0\.kind/)
    await bad({ hosts: [{ kind: 'cnc', host: '   ' }] }, /^hosts\.0\.host/)
    await bad({ hosts: [{ kind: 'cnc', host: 'x'.repeat(2049) }] }, /^hosts\.0\.host/)
    await bad({ hosts: [] }, /^hosts/)
    await bad({ hosts: [{ kind: 'cnc', host: 'bogus-value\u0000' }] }, /host/)
    expect((await api(analystKey, 'DELETE', `/api/v1/incidents/${incidentId}/hosts?kind=cnc`)).status).toBe(400)
    expect(
      (
        await api(readerKey, 'POST', `/api/v1/incidents/${incidentId}/hosts`, {
          hosts: [{ kind: 'cnc', host: 'a.example' }],
        })
      ).status,
    ).toBe(403)
    expect(
      (
        await api(analystKey, 'POST', `/api/v1/incidents/${privateId}/hosts`, {
          hosts: [{ kind: 'cnc', host: 'a.example' }],
        })
      ).status,
    ).toBe(404)
    expect(await audits('incident.hosts_added', privateId)).toHaveLength(0)
  })
})

describe('incident hosts: the incident page', () => {
  it('adds a host with the htmx form (CSRF), shows it escaped, removes it, and answers 422 for a bad one', async () => {
    const db = t.deps.db
    const s = await signInAs(t.api, (await makeUser(db, ['Analysts'])).user.username)
    const [i] = await db.insert(incidents).values({ summary: 'UI hosts', state: 'open' }).returning()
    const id = i!.id
    const post = (path: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
      t.api.request(path, {
        method: 'POST',
        headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams(form),
      })

    const page = await (await t.api.request(`/incidents/${id}`, { headers: { cookie: s.cookie } })).text()
    expect(page).toContain(`hx-post="/incidents/${id}/hosts"`)
    expect(page).toContain('No hosts recorded.')

    const evil = '<img src=x onerror=alert(1)>.evil.example'
    // without the CSRF token: refused, nothing stored
    expect((await post(`/incidents/${id}/hosts`, { kind: 'attacker', host: evil })).status).toBe(403)
    // the htmx request (token in its header, as the page's hx-headers sends it): the page comes back with the host
    const added = await post(
      `/incidents/${id}/hosts`,
      { kind: 'attacker', host: evil },
      { 'HX-Request': 'true', 'X-CSRF-Token': s.csrf },
    )
    expect(added.status).toBe(200)
    const body = await added.text()
    expect(body).toContain('id="incident-hosts"')
    expect(body).toContain('&lt;img src=x onerror=alert(1)&gt;.evil.example')
    expect(body).not.toContain('<img src=x')
    // the remove form carries the host in an escaped attribute
    expect(body).toContain('name="host" value="&lt;img src=x onerror=alert(1)&gt;.evil.example"')

    // a plain form (no JavaScript) works too and redirects back
    expect((await post(`/incidents/${id}/hosts`, { kind: 'forensics', host: '10.0.0.7', _csrf: s.csrf })).status).toBe(
      303,
    )
    const bad = await post(`/incidents/${id}/hosts`, { kind: 'cnc', host: '', _csrf: s.csrf }, { 'HX-Request': 'true' })
    expect(bad.status).toBe(422)
    expect(await bad.text()).toMatch(/class="field-error" role="alert">[^<]*1 to 2048 characters/)

    const removed = await post(`/incidents/${id}/hosts/remove`, { kind: 'attacker', host: evil, _csrf: s.csrf })
    expect(removed.status).toBe(303)
    const after = await (await t.api.request(`/incidents/${id}`, { headers: { cookie: s.cookie } })).text()
    const hostsPart = /<div id="incident-hosts">.*?<\/section>/s.exec(after)![0]
    expect(hostsPart).not.toContain('onerror')
    expect(hostsPart).toContain('10.0.0.7')
    expect(after).toContain('added hosts')
    expect(after).toContain('removed hosts')
    expect(await audits('incident.hosts_added', id)).toHaveLength(2)
    expect(await audits('incident.hosts_removed', id)).toHaveLength(1)
  })
})
