import { eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { alerts, apiKeys, incidents, sources } from '../../core/src/db/schema/index.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { alertBody, drainIntake, makeJsonSource } from '../harness/intake.ts'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ CLAWBACK_MAX_BODY_BYTES: '20000' })
})
afterAll(() => t.close())

const counts = async () => {
  const [a] = await t.deps.db.select({ n: sql<number>`count(*)::int` }).from(alerts)
  const [i] = await t.deps.db.select({ n: sql<number>`count(*)::int` }).from(incidents)
  return { alerts: a!.n, incidents: i!.n }
}

describe('JSON alert intake', () => {
  it('ignores an Authorization header without looking the key up', async () => {
    const { makeApiKey } = await import('../harness/factories.ts')
    const key = await makeApiKey(t.deps.db, ['Analysts'])
    const s = await makeJsonSource(t)
    expect((await s.post(JSON.stringify(alertBody()), { authorization: key })).status).toBe(200)
    const [row] = await t.deps.db
      .select()
      .from(apiKeys)
      .where(eq(apiKeys.prefix, key.slice(0, 8)))
    expect(row!.lastUsedAt).toBeNull()
    // The same key on an API route is looked up (and its use recorded).
    expect((await t.api.request('/api/v1/me', { headers: { authorization: key } })).status).toBe(200)
    const [used] = await t.deps.db
      .select()
      .from(apiKeys)
      .where(eq(apiKeys.prefix, key.slice(0, 8)))
    expect(used!.lastUsedAt).not.toBeNull()
  })

  it('stores an alert verbatim with normalised fields and answers after commit', async () => {
    const s = await makeJsonSource(t)
    const body = alertBody()
    const raw = JSON.stringify(body)
    const res = await s.post(raw, { authorization: 'ignored-key' })
    expect(res.status).toBe(200)
    const out = (await res.json()) as { alert_id: number; incident_id: number }
    const [a] = await t.deps.db.select().from(alerts).where(eq(alerts.id, out.alert_id))
    expect(a!.raw).toBe(raw)
    expect(a!.classification).toBe('phish')
    expect(a!.severity).toBe('major')
    expect(a!.incidentId).toBe(out.incident_id)
    const [i] = await t.deps.db.select().from(incidents).where(eq(incidents.id, out.incident_id))
    expect(i).toMatchObject({ type: 'Phishing', severity: 'High', state: 'new' })
  })

  it('accepts camelCase inner names, string numbers and JSON-encoded nested objects', async () => {
    const s = await makeJsonSource(t)
    const res = await s.post({
      json_version: 1.0,
      severity: 'High',
      classification: 'malware',
      cnc_hosts: JSON.stringify([{ host: '203.0.113.9', port: '443' }]),
      email: JSON.stringify({ messageId: 'x1@y', sender: 'a@b.example', recipient: 'c@d.example' }),
      threat_info: { fileHash: 'ab'.repeat(32) },
    })
    expect(res.status).toBe(200)
    const { alert_id } = (await res.json()) as { alert_id: number }
    const [a] = await t.deps.db.select().from(alerts).where(eq(alerts.id, alert_id))
    expect(a!.cncHosts).toEqual([{ host: '203.0.113.9', port: 443 }])
    expect(a!.linkKey).toBe('mid:<x1@y>')
  })

  it('accepts a JSON-encoded nested list wrapped in an object under its own key (cnc_hosts, forensics_hosts; issue 13 item 11)', async () => {
    const s = await makeJsonSource(t)
    const hosts = [{ host: '203.0.113.9', port: 443 }]
    for (const [cnc, forensics] of [
      [JSON.stringify(hosts), JSON.stringify([{ host: 'files.example' }])],
      [JSON.stringify({ cnc_hosts: hosts }), JSON.stringify({ forensics_hosts: [{ host: 'files.example' }] })],
      [
        JSON.stringify({ cncHosts: JSON.stringify(hosts) }),
        JSON.stringify({ forensicsHosts: [{ host: 'files.example' }] }),
      ],
    ]) {
      const res = await s.post(alertBody({ cnc_hosts: cnc, forensics_hosts: forensics }))
      expect(res.status).toBe(200)
      const { alert_id } = (await res.json()) as { alert_id: number }
      const [a] = await t.deps.db.select().from(alerts).where(eq(alerts.id, alert_id))
      expect({ cnc: a!.cncHosts, forensics: a!.forensicsHosts }).toEqual({
        cnc: hosts,
        forensics: [{ host: 'files.example' }],
      })
    }
  })

  it('refuses malformed, wrong-type, deeply nested and oversized bodies with clear 4xx, storing nothing', async () => {
    const s = await makeJsonSource(t)
    const before = await counts()
    const cases: [unknown, number, RegExp][] = [
      ['{"summary": ', 400, /body: not valid JSON/],
      ['[1,2]', 400, /body: expected a JSON object/],
      [{ severity: 'apocalyptic' }, 400, /severity/],
      [{ classification: 42 }, 400, /classification/],
      [{ email: { recipient: { nested: true } } }, 400, /email\.recipient/],
      [{ email: 'not json but a string' }, 400, /email: expected an object/],
      [{ cnc_hosts: '[{"host": ' }, 400, /cnc_hosts/],
      [{ json_version: '3.0' }, 400, /json_version/],
      [{ link_attribute: 'shoe_size' }, 400, /link_attribute/],
      [`${'['.repeat(40)}${']'.repeat(40)}`.replace(/^\[/, '{"a":[').replace(/\]$/, ']}'), 400, /nested deeper/],
      [{ summary: 'x'.repeat(30_000) }, 413, /larger than/],
      [{ summary: 'bad\u0000summary' }, 400, /^summary: contains a NUL character/],
      [{ email: { subject: 'a\u0000' } }, 400, /^email\.subject: contains a NUL/],
      [{ custom_fields: { list: ['ok', 'x\u0000'] } }, 400, /^custom_fields\.list\[1\]: contains a NUL/],
      [{ custom_fields: { 'k\u0000': 'v' } }, 400, /^custom_fields: has a key containing a NUL/],
    ]
    for (const [body, status, msg] of cases) {
      const res = await s.post(body)
      expect(res.status, String(body).slice(0, 40)).toBe(status)
      const err = (await res.json()) as { error: { message: string } }
      expect(err.error.message).toMatch(msg)
    }
    expect(await counts()).toEqual(before)
  })

  it('over a real socket: reads the body from the connection, 413 beyond the limit with or without Content-Length', async () => {
    const { serve } = await import('@hono/node-server')
    const http = await import('node:http')
    const s = await makeJsonSource(t)
    const server = serve({ fetch: t.api.fetch, hostname: '127.0.0.1', port: 0 })
    await new Promise((r) => server.once('listening', r))
    const { port } = server.address() as { port: number }
    const post = (chunks: (string | Buffer)[], contentLength: boolean) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: `/threat/json_event/events/${s.token}`,
            headers: {
              'content-type': 'application/json',
              ...(contentLength ? { 'content-length': Buffer.concat(chunks.map((c) => Buffer.from(c))).length } : {}),
            },
          },
          (res) => {
            let body = ''
            res.on('data', (d) => {
              body += d
            })
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
          },
        )
        req.on('error', reject)
        for (const c of chunks) req.write(c)
        req.end()
      })
    try {
      const before = await counts()
      const big = JSON.stringify(alertBody({ summary: 'é'.repeat(15_000) })) // 30 KB of UTF-8
      const halves = [big.slice(0, 10_000), big.slice(10_000)]
      for (const withLength of [true, false]) {
        const r = await post(halves, withLength)
        expect(r.status, `content-length: ${withLength}`).toBe(413)
        expect(r.body).toMatch(/larger than 20000 bytes/)
      }
      expect(await counts()).toEqual(before)
      const body = JSON.stringify(alertBody({ summary: 'Grüße – ünïcode split across chunks' }))
      const at = body.indexOf('ü') + 1 // split inside the two bytes of a character
      const buf = Buffer.from(body)
      const cut = Buffer.byteLength(body.slice(0, at)) - 1
      const ok = await post([buf.subarray(0, cut), buf.subarray(cut)], false)
      expect(ok.status).toBe(200)
      const { alert_id } = JSON.parse(ok.body) as { alert_id: number }
      await drainIntake(t)
      const [row] = await t.deps.db.select().from(alerts).where(eq(alerts.id, alert_id))
      expect(row!.summary).toBe('Grüße – ünïcode split across chunks')
    } finally {
      await new Promise((r) => server.close(r))
    }
  })

  it('answers 404 for an unknown or disabled token', async () => {
    const s = await makeJsonSource(t)
    expect((await t.api.request('/threat/json_event/events/nope', { method: 'POST', body: '{}' })).status).toBe(404)
    await t.deps.db.update(sources).set({ isEnabled: false }).where(eq(sources.id, s.source.id))
    const { forgetSourceTokens } = await import('../../core/src/domain/sources/source-token.ts')
    forgetSourceTokens()
    expect((await s.post(alertBody())).status).toBe(404)
  })
})

describe('incident linking', () => {
  it('links by message-id, by link_attribute (bypassing message-id), and by source rules', async () => {
    const s = await makeJsonSource(t)
    const first = (await (await s.post(alertBody({}, { message_id: '<same@x>' }))).json()) as { incident_id: number }
    const second = (await (await s.post(alertBody({}, { message_id: 'same@x' }))).json()) as { incident_id: number }
    expect(second.incident_id).toBe(first.incident_id)

    const la1 = (await (
      await s.post(alertBody({ link_attribute: 'target_user', target: { user: 'Alice' } }))
    ).json()) as { incident_id: number }
    const la2 = (await (
      await s.post(alertBody({ link_attribute: 'target_user', target: { user: 'alice' } }, { message_id: '<same@x>' }))
    ).json()) as { incident_id: number }
    expect(la2.incident_id).toBe(la1.incident_id)
    expect(la1.incident_id).not.toBe(first.incident_id)

    const noEmail = { json_version: '2.0', classification: 'malware', threat_info: { filehash: 'CD'.repeat(32) } }
    const h1 = (await (await s.post(noEmail)).json()) as { incident_id: number }
    const h2 = (await (await s.post(noEmail)).json()) as { incident_id: number }
    expect(h2.incident_id).toBe(h1.incident_id)
    const at = { json_version: '2.0', attacker: { ip_address: '192.0.2.1' }, target: { host_name: 'ws1' } }
    const a1 = (await (await s.post(at)).json()) as { incident_id: number }
    const a2 = (await (await s.post(at)).json()) as { incident_id: number }
    expect(a2.incident_id).toBe(a1.incident_id)
    const lone = { json_version: '2.0', summary: 'nothing to link on' }
    const l1 = (await (await s.post(lone)).json()) as { incident_id: number }
    const l2 = (await (await s.post(lone)).json()) as { incident_id: number }
    expect(l2.incident_id).not.toBe(l1.incident_id)
  })

  it('does not link to a closed incident', async () => {
    const s = await makeJsonSource(t)
    const a = (await (await s.post(alertBody({}, { message_id: '<closed@x>' }))).json()) as { incident_id: number }
    await t.deps.db
      .update(incidents)
      .set({ state: 'closed', closedAt: new Date() })
      .where(eq(incidents.id, a.incident_id))
    const b = (await (await s.post(alertBody({}, { message_id: '<closed@x>' }))).json()) as { incident_id: number }
    expect(b.incident_id).not.toBe(a.incident_id)
  })

  it('puts parallel alerts with the same message-id into ONE incident', async () => {
    const s = await makeJsonSource(t)
    const posts = Array.from({ length: 60 }, () => s.post(alertBody({}, { message_id: '<parallel@x>' })))
    const results = (await Promise.all(posts.map(async (p) => (await p).json()))) as { incident_id: number }[]
    expect(new Set(results.map((r) => r.incident_id)).size).toBe(1)
  })
})

describe('alert.match job', () => {
  it('runs from the queue after intake and records which enabled conditions of the source matched', async () => {
    const { matchConditions, matchEvaluations } = await import('../../core/src/db/schema/index.ts')
    const { startWorkers } = await import('../../core/src/jobs/worker.ts')
    const { alertMatchWorker } = await import('../../core/src/jobs/handlers/alert-match.ts')
    const s = await makeJsonSource(t)
    const [hit] = await t.deps.db
      .insert(matchConditions)
      .values({
        sourceId: s.source.id,
        name: 'phish from evil',
        position: 1,
        condition: {
          all: [
            { field: 'classification', op: 'eq', value: 'phish' },
            { field: 'email.sender', op: 'contains', value: 'evil.example' },
          ],
        },
      })
      .returning()
    await t.deps.db.insert(matchConditions).values({
      sourceId: s.source.id,
      name: 'malware',
      position: 2,
      condition: { field: 'classification', op: 'eq', value: 'malware' },
    })
    await t.deps.db
      .insert(matchConditions)
      .values({ sourceId: s.source.id, name: 'disabled', position: 3, isEnabled: false, condition: {} })
    const a = (await (await s.post(alertBody())).json()) as { alert_id: number }
    const b = (await (await s.post(alertBody({ classification: 'spam' }))).json()) as { alert_id: number }
    await startWorkers(
      t.deps.boss,
      { db: t.deps.db, log: t.deps.log, keyring: t.deps.keyring, dataDir: t.dataDir },
      2,
      [alertMatchWorker],
    )
    // Every alert.match job of the two alerts has run (the workers above take them from the queue).
    const deadline = Date.now() + 20_000
    let pending = -1
    while (Date.now() < deadline) {
      const [row] = (await t.deps.db.execute(sql`
        SELECT count(*)::int AS n FROM pgboss.job
        WHERE name = 'alert.match' AND state IN ('created', 'retry', 'active')`)) as unknown as { n: number }[]
      pending = row!.n
      if (pending === 0) break
      await new Promise((r) => setTimeout(r, 200))
    }
    expect(pending).toBe(0)
    const rows = await t.deps.db
      .select()
      .from(matchEvaluations)
      .where(sql`${matchEvaluations.alertId} IN (${a.alert_id}, ${b.alert_id})`)
    // the alert that matched is recorded; the one that matched nothing leaves no row (issue 16)
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({
      alertId: a.alert_id,
      isMatched: true,
      matchedConditionIds: [hit!.id],
      evaluatedConditions: 2,
    })
  })
})

describe('rule windows', () => {
  it('links a rule key only to an incident younger than the source window', async () => {
    const s = await makeJsonSource(t, undefined, { windowHours: 1 })
    const body = { json_version: '2.0', attacker: { ip_address: '192.0.2.99' }, target: { host_name: 'ws9' } }
    const first = (await (await s.post(body)).json()) as { incident_id: number }
    await t.deps.db
      .update(incidents)
      .set({ createdAt: new Date(Date.now() - 2 * 3600_000) })
      .where(eq(incidents.id, first.incident_id))
    const second = (await (await s.post(body)).json()) as { incident_id: number }
    expect(second.incident_id).not.toBe(first.incident_id)
    const third = (await (await s.post(body)).json()) as { incident_id: number }
    expect(third.incident_id).toBe(second.incident_id)
  })
})
