import { eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { alertEmails, alerts, auditLog, incidentHistory } from '../../core/src/db/schema/index.ts'
import { putBlob } from '../../core/src/domain/attachments/blob-store.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { makeApiKey, makeTeam } from '../harness/factories.ts'
import { alertBody, drainIntake, makeJsonSource } from '../harness/intake.ts'

let t: TestApp
let admin: string
let analyst: string
beforeAll(async () => {
  t = await startTestApp({ CLAWBACK_MAX_ATTACHMENT_BYTES: '2000' })
  admin = await makeApiKey(t.deps.db, ['Admins'])
  analyst = await makeApiKey(t.deps.db, ['Analysts'])
})
afterAll(() => t.close())

const req = (k: string, path: string, method = 'GET', body?: unknown, headers: Record<string, string> = {}) =>
  t.api.request(path, {
    method,
    headers: {
      authorization: k,
      ...(typeof body === 'string' || body instanceof FormData ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body:
      body === undefined
        ? undefined
        : typeof body === 'string' || body instanceof FormData
          ? body
          : JSON.stringify(body),
  })

describe('native API', () => {
  it('creates a JSON source whose URL takes alerts, shows the URL again, disables it', async () => {
    const res = await req(admin, '/api/v1/sources', 'POST', { name: 'Native JSON', type: 'json' })
    expect(res.status).toBe(201)
    const { data } = (await res.json()) as { data: { id: number; url: string } }
    const token = /\/threat\/json_event\/events\/([\w-]{40,})$/.exec(data.url)![1]!
    expect(Buffer.from(token, 'base64url').length).toBeGreaterThanOrEqual(16)
    const again = (await (await req(admin, `/api/v1/sources/${data.id}?with_url=true`)).json()) as {
      data: { url: string }
    }
    expect(again.data.url).toBe(data.url)
    const post = await t.api.request(new URL(data.url).pathname, { method: 'POST', body: JSON.stringify(alertBody()) })
    expect(post.status).toBe(200)
    await req(admin, `/api/v1/sources/${data.id}`, 'PATCH', { isEnabled: false })
    expect(
      (await t.api.request(new URL(data.url).pathname, { method: 'POST', body: JSON.stringify(alertBody()) })).status,
    ).toBe(404)
    expect((await req(analyst, '/api/v1/sources', 'POST', { name: 'x', type: 'json' })).status).toBe(403)
  })

  it('CSV upload: header/BOM/quotes/CRLF accepted, one incident for the upload; a broken row stores nothing and reports the line', async () => {
    const { data } = (await (await req(admin, '/api/v1/sources', 'POST', { name: 'Uploads', type: 'csv' })).json()) as {
      data: { id: number }
    }
    // alerts accepted by the earlier test are linked in the background: count after they are in
    await drainIntake(t)
    const before = (await t.deps.db.select({ n: sql<number>`count(*)::int` }).from(alerts))[0]!.n
    const broken =
      'message-id,recipient\r\n<a@x>,a@corp.example\r\n<b@x>,not-an-address\r\n"<c@x>"\r\n<d\u0000@x>,d@corp.example\r\n<e@x>,e\u0000@corp.example\r\n'
    const bad = await req(admin, `/api/v1/sources/${data.id}/uploads`, 'POST', broken, { 'content-type': 'text/csv' })
    expect(bad.status).toBe(400)
    const err = (await bad.json()) as { error: { details: { rows: { line: number; error: string }[] } } }
    expect(err.error.details.rows.map((r) => r.line)).toEqual([3, 4, 5, 6])
    expect(
      (
        await req(admin, `/api/v1/sources/${data.id}/uploads`, 'POST', '"<a@x>,a@corp.example\n', {
          'content-type': 'text/csv',
        })
      ).status,
    ).toBe(400)
    expect((await t.deps.db.select({ n: sql<number>`count(*)::int` }).from(alerts))[0]!.n).toBe(before)

    const good = '\uFEFFMessage-ID,Recipient\r\n"<a@x>","a@corp.example"\r\nb@x,"b@corp.example"\r\n'
    const ok = await req(admin, `/api/v1/sources/${data.id}/uploads`, 'POST', good, { 'content-type': 'text/csv' })
    expect(ok.status).toBe(201)
    const out = (await ok.json()) as { data: { incidentId: number; alerts: number } }
    expect(out.data.alerts).toBe(2)
    const mids = await t.deps.db
      .select({ mid: alertEmails.messageId })
      .from(alertEmails)
      .innerJoin(alerts, eq(alerts.id, alertEmails.alertId))
      .where(eq(alerts.incidentId, out.data.incidentId))
    expect(mids.map((m) => m.mid).sort()).toEqual(['<a@x>', '<b@x>'])
  })

  it('lists incidents with filters, free text, state counts and keyset paging; edits, closes, reopens with history and audit', async () => {
    const src = await makeJsonSource(t)
    const ids: number[] = []
    for (let i = 0; i < 4; i++)
      ids.push(
        ((await (await src.post(alertBody({}, { subject: `Needle ${i}` }))).json()) as { incident_id: number })
          .incident_id,
      )
    const page1 = (await (
      await req(analyst, `/api/v1/incidents?q=needle&limit=3&source_id=${src.source.id}`)
    ).json()) as { items: { id: number }[]; nextCursor: string; counts: Record<string, number> }
    expect(page1.items.map((i) => i.id)).toEqual([ids[3], ids[2], ids[1]])
    expect(page1.counts.new).toBe(4)
    const page2 = (await (
      await req(analyst, `/api/v1/incidents?q=needle&limit=3&source_id=${src.source.id}&cursor=${page1.nextCursor}`)
    ).json()) as { items: { id: number }[]; nextCursor?: string }
    expect(page2.items.map((i) => i.id)).toEqual([ids[0]])
    expect(page2.nextCursor).toBeUndefined()

    const id = ids[0]!
    const patched = await req(analyst, `/api/v1/incidents/${id}`, 'PATCH', {
      fields: { 'Abuse Disposition': 'Malicious' },
      team: 'Analysts',
      description: 'first',
    })
    expect(patched.status).toBe(200)
    const f = (await (await req(analyst, `/api/v1/incidents?abuse_disposition=Malicious&q=needle`)).json()) as {
      items: { id: number; team: string }[]
    }
    expect(f.items.map((i) => i.id)).toEqual([id])
    await req(analyst, `/api/v1/incidents/${id}`, 'PATCH', { fields: { 'Abuse Disposition': 'Spam' } })
    expect((await req(analyst, `/api/v1/incidents/${id}/reopen`, 'POST', {})).status).toBe(409)
    expect((await req(analyst, `/api/v1/incidents/${id}/close`, 'POST', { summary: 'done' })).status).toBe(200)
    const reopened = (await (
      await req(analyst, `/api/v1/incidents/${id}/reopen`, 'POST', { summary: 'more' })
    ).json()) as { data: { state: string; closed_at: null } }
    expect(reopened.data).toMatchObject({ state: 'Open', closed_at: null })
    const hist = await t.deps.db.select().from(incidentHistory).where(eq(incidentHistory.incidentId, id))
    expect(hist.filter((h) => h.historyType === 'disposition_change').map((h) => [h.stateFrom, h.stateTo])).toEqual([
      [null, 'Malicious'],
      ['Malicious', 'Spam'],
    ])
    const audits = await t.deps.db
      .select({ action: auditLog.action })
      .from(auditLog)
      .where(eq(auditLog.objectId, String(id)))
    expect(audits.map((a) => a.action)).toEqual(
      expect.arrayContaining([
        'incident.fields',
        'incident.assign',
        'incident.description',
        'incident.close',
        'incident.reopen',
      ]),
    )
  })

  it('investigations: create, link/unlink, comment, private ones invisible to non-members', async () => {
    const src = await makeJsonSource(t)
    const inc = ((await (await src.post(alertBody())).json()) as { incident_id: number }).incident_id
    const inv = (
      (await (await req(analyst, '/api/v1/investigations', 'POST', { name: 'Campaign X' })).json()) as {
        data: { id: number }
      }
    ).data
    expect((await req(analyst, `/api/v1/investigations/${inv.id}/incidents`, 'POST', { incidentId: inc })).status).toBe(
      200,
    )
    await req(analyst, `/api/v1/investigations/${inv.id}/comments`, 'POST', { summary: 'same sender' })
    const got = (await (await req(analyst, `/api/v1/investigations/${inv.id}`)).json()) as {
      data: { incidents: { id: number }[]; history: { historyType: string }[] }
    }
    expect(got.data.incidents.map((i) => i.id)).toEqual([inc])
    expect(got.data.history.map((h) => h.historyType)).toEqual(['created', 'incident_linked', 'comment'])
    expect((await req(analyst, `/api/v1/investigations/${inv.id}/incidents/${inc}`, 'DELETE')).status).toBe(200)

    const team = await makeTeam(t.deps.db, { isPrivate: true })
    const member = await makeApiKey(t.deps.db, [team.name])
    const priv = (
      (await (
        await req(member, '/api/v1/investigations', 'POST', { name: 'Secret', isPrivate: true, teamId: team.id })
      ).json()) as { data: { id: number } }
    ).data
    expect((await req(admin, `/api/v1/investigations/${priv.id}`)).status).toBe(404)
    const adminList = (await (await req(admin, '/api/v1/investigations')).json()) as { items: { id: number }[] }
    expect(adminList.items.map((i) => i.id)).not.toContain(priv.id)
    expect((await req(member, `/api/v1/investigations/${priv.id}`)).status).toBe(200)
  })

  it('attachments are stored by content hash and size-limited; original messages download as message/rfc822 attachments', async () => {
    const src = await makeJsonSource(t)
    const r = (await (await src.post(alertBody())).json()) as { incident_id: number; alert_id: number }
    const form = new FormData()
    form.append('file', new Blob(['hello world']), 'note.txt')
    const up = await req(analyst, `/api/v1/incidents/${r.incident_id}/attachments`, 'POST', form)
    expect(up.status).toBe(201)
    const att = ((await up.json()) as { data: { id: number; sha256: string } }).data
    expect(att.sha256).toBe('b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9')
    const dl = await req(analyst, `/api/v1/attachments/${att.id}`)
    expect(dl.headers.get('content-disposition')).toMatch(/^attachment;/)
    expect(await dl.text()).toBe('hello world')
    const big = new FormData()
    big.append('file', new Blob(['x'.repeat(3000)]), 'big.bin')
    expect((await req(analyst, `/api/v1/incidents/${r.incident_id}/attachments`, 'POST', big)).status).toBe(413)

    expect((await req(analyst, `/api/v1/alerts/${r.alert_id}/download_original_msg`)).status).toBe(404)
    const eml = 'From: a@b\r\nSubject: <script>x</script>\r\n\r\nbody'
    const { sha256 } = putBlob(t.dataDir, Buffer.from(eml))
    await t.deps.db.update(alertEmails).set({ originalSha256: sha256 }).where(eq(alertEmails.alertId, r.alert_id))
    const msg = await req(analyst, `/api/v1/alerts/${r.alert_id}/download_original_msg`, 'GET', undefined, {
      accept: 'message/rfc822',
    })
    expect(msg.status).toBe(200)
    expect(msg.headers.get('content-type')).toBe('message/rfc822')
    expect(msg.headers.get('content-disposition')).toMatch(/^attachment; filename="alert-\d+\.eml"$/)
    expect(await msg.text()).toBe(eml)
  })

  it("custom incident fields and the private flag: a private incident drops out of other teams' lists and counts", async () => {
    const f = await req(admin, '/api/v1/incident-fields', 'POST', { name: 'Ticket', kind: 'text' })
    expect(f.status).toBe(201)
    expect((await req(analyst, '/api/v1/incident-fields', 'POST', { name: 'Nope', kind: 'text' })).status).toBe(403)
    const src = await makeJsonSource(t)
    const id = ((await (await src.post(alertBody({}, { subject: 'Privacy probe' }))).json()) as { incident_id: number })
      .incident_id
    const team = await makeTeam(t.deps.db, { isPrivate: true })
    const member = await makeApiKey(t.deps.db, [team.name])
    const set = await req(member, `/api/v1/incidents/${id}`, 'PATCH', {
      fields: { Ticket: 'INC-42' },
      team: team.name,
      isPrivate: true,
    })
    expect(set.status).toBe(200)
    expect(
      ((await set.json()) as { data: { incident_field_values: { name: string; value: string }[] } }).data
        .incident_field_values,
    ).toEqual(expect.arrayContaining([{ name: 'Ticket', value: 'INC-42' }]))
    const other = (await (await req(analyst, '/api/v1/incidents?q=privacy probe')).json()) as {
      items: unknown[]
      counts: Record<string, number>
    }
    expect(other.items).toEqual([])
    expect(Object.values(other.counts).reduce((a, b) => a + b, 0)).toBe(0)
    const mine = (await (await req(member, '/api/v1/incidents?q=privacy probe')).json()) as {
      items: { id: number; isPrivate: boolean }[]
    }
    expect(mine.items).toMatchObject([{ id, isPrivate: true }])
  })

  it('serves /metrics to system.manage only, and the OpenAPI document lists every native route', async () => {
    expect((await req(analyst, '/metrics')).status).toBe(403)
    const m = await req(admin, '/metrics')
    expect(m.status).toBe(200)
    const text = await m.text()
    expect(text).toMatch(/clawback_intake_alerts_total\{outcome="stored",source="[^"]+"\} \d+/)
    expect(text).toMatch(/clawback_job_queue_jobs\{queue="alert.match",state="queued"\} \d+/)
    expect(text).toMatch(
      /clawback_http_request_duration_seconds_bucket\{method="GET",route="\/api\/v1\/incidents",status="2xx",le="0.05"\}/,
    )
    const doc = (await (await t.api.request('/api/openapi.json')).json()) as {
      paths: Record<string, Record<string, unknown>>
    }
    const { apiRoutes } = await import('../../core/src/api/routes.ts')
    for (const r of apiRoutes.routes.filter((x) => x.method !== 'ALL' && x.path.startsWith('/api/v1/'))) {
      expect(
        doc.paths[r.path.replace(/:([A-Za-z_]+)/g, '{$1}')]?.[r.method.toLowerCase()],
        `${r.method} ${r.path}`,
      ).toBeDefined()
    }
  })
})
