import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { alertEmails, alerts, incidents, sources } from '../../core/src/db/schema/index.ts'
import { putBlob } from '../../core/src/domain/attachments/blob-store.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { makeUser, signInAs } from '../harness/factories.ts'

let t: TestApp
let s: { cookie: string; csrf: string }
let big = 0
let withEml = 0
let emlAlert = 0
beforeAll(async () => {
  t = await startTestApp()
  const db = t.deps.db
  s = await signInAs(t.api, (await makeUser(db, ['Analysts'])).user.username)
  const [src] = await db.insert(sources).values({ name: 'Gateway', type: 'json' }).returning()
  const [i] = await db.insert(incidents).values({ summary: 'Campaign', state: 'open' }).returning()
  big = i!.id
  const rows = await db
    .insert(alerts)
    .values(
      Array.from({ length: 120 }, (_, n) => ({
        sourceId: src!.id,
        incidentId: big,
        raw: '{}',
        summary: `Campaign alert ${n + 1}`,
      })),
    )
    .returning({ id: alerts.id })
  await db
    .insert(alertEmails)
    .values(rows.map((r) => ({ alertId: r.id, sender: 'x@evil.example', subject: `Subject of ${r.id}` })))
  const [j] = await db.insert(incidents).values({ summary: 'Reported message' }).returning()
  withEml = j!.id
  const [a] = await db.insert(alerts).values({ sourceId: src!.id, incidentId: withEml, raw: '{}' }).returning()
  emlAlert = a!.id
  const blob = putBlob(
    t.deps.config.dataDir,
    new TextEncoder().encode('Subject: hi\r\nContent-Type: text/html\r\n\r\n<script>alert(1)</script>'),
  )
  await db
    .insert(alertEmails)
    .values({ alertId: emlAlert, sender: 'y@evil.example', subject: 'hi', originalSha256: blob.sha256 })
})
afterAll(() => t.close())

const get = (path: string, headers: Record<string, string> = {}) =>
  t.api.request(path, { headers: { cookie: s.cookie, ...headers } })
const post = (path: string, form: Record<string, string>) =>
  t.api.request(path, {
    method: 'POST',
    headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...form, _csrf: s.csrf }),
  })

describe('incident pages', () => {
  it('shows the first 50 alerts and loads the rest on demand, 100 at a time', async () => {
    const page = await (await get(`/incidents/${big}`)).text()
    expect(page.match(/<details class="alert"/g)).toHaveLength(50)
    expect(page).toContain('Campaign alert 50<')
    expect(page).not.toContain('Campaign alert 51<')
    expect(page).toContain(`hx-get="/incidents/${big}/alerts?offset=50"`)
    const more = await (await get(`/incidents/${big}/alerts?offset=50`, { 'HX-Request': 'true' })).text()
    expect(more.match(/<details class="alert"/g)).toHaveLength(70)
    expect(more).toContain('Campaign alert 120<')
    expect(more).not.toContain('hx-get=')
  })

  it('offers the original message only as a download that no browser renders', async () => {
    const page = await (await get(`/incidents/${withEml}`)).text()
    expect(page).toContain(`href="/alerts/${emlAlert}/original" download`)
    const res = await get(`/alerts/${emlAlert}/original`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/octet-stream')
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="alert-${emlAlert}.eml"`)
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(await res.text()).toContain('<script>alert(1)</script>')
  })

  it('answers form errors with 422 and the page, and keeps bulk actions honest', async () => {
    const bad = await post(`/incidents/${big}/fields`, {
      'f:Sub Disposition': 'Likely Harmless',
      'f:Abuse Disposition': 'Malicious',
    })
    expect(bad.status).toBe(422)
    expect(await bad.text()).toContain('only allowed with Abuse Disposition Unknown')
    const empty = await post(`/incidents/${big}/comments`, { comment: '   ' })
    expect(empty.status).toBe(422)
    const none = await post('/incidents/bulk', { action: 'close' })
    expect(none.status).toBe(400)
    expect(await none.text()).toContain('Select at least one incident first.')
    expect((await post(`/incidents/${big}/state`, { action: 'close', summary: 'done' })).status).toBe(303)
    expect((await t.deps.db.select().from(incidents).where(eq(incidents.id, big)))[0]!.state).toBe('closed')
    expect((await post(`/incidents/${big}/state`, { action: 'reopen' })).status).toBe(303)
    expect((await t.deps.db.select().from(incidents).where(eq(incidents.id, big)))[0]!.state).toBe('open')
    expect((await post(`/incidents/${big}/state`, { action: 'explode' })).status).toBe(422)
    const ok = await post(`/incidents/${big}/description`, { description: 'first line', mode: 'append' })
    expect(ok.status).toBe(303)
    await post(`/incidents/${big}/description`, { description: 'second line', mode: 'append' })
    const [row] = await t.deps.db.select().from(incidents).where(eq(incidents.id, big))
    expect(row!.description).toBe('first line\nsecond line')
    await post(`/incidents/${big}/description`, { description: 'replaced', mode: 'overwrite' })
    const [row2] = await t.deps.db.select().from(incidents).where(eq(incidents.id, big))
    expect(row2!.description).toBe('replaced')
  })

  it('keeps list filters in the URL, drops the cursor on a new filter, and ignores malformed values', async () => {
    const page = await (
      await get('/incidents?tab=all&severity=High&created_from=2026-01-01&team=abc&cursor=%3Cx%3E')
    ).text()
    expect(page).toContain('value="2026-01-01"')
    expect(page).toMatch(/href="\/incidents\?tab=closed&amp;severity=High&amp;created_from=2026-01-01"/)
    expect(page).toContain('No incidents match.')
  })
})

describe('lists pages', () => {
  it('creates a list, adds and removes members, and shows the feed URL to administrators only', async () => {
    const admin = await signInAs(t.api, (await makeUser(t.deps.db, ['Admins'])).user.username)
    const send = (path: string, form: Record<string, string>, who = admin) =>
      t.api.request(path, {
        method: 'POST',
        headers: { cookie: who.cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ ...form, _csrf: who.csrf }),
      })
    const created = await send('/lists', { name: 'Blocked senders', type: 'email', description: 'Gateway block list' })
    expect(created.status).toBe(303)
    const path = created.headers.get('location')!
    expect((await send(`${path}/members`, { member: 'not an address' })).status).toBe(422)
    expect(
      (
        await send(`${path}/members`, {
          member: 'bad@evil.example',
          description: 'phish sender',
          expires: '2099-01-01',
        })
      ).status,
    ).toBe(303)
    const page = await (await t.api.request(path, { headers: { cookie: admin.cookie } })).text()
    expect(page).toContain('bad@evil.example')
    expect(page).toContain('2099-01-01 23:59')
    const feed = /aria-label="Feed URL"/.test(page) && /value="(http[^"]+\/feeds\/lists\/[^"]+\.txt)"/.exec(page)![1]!
    expect(feed).toBeTruthy()
    expect(await (await t.api.request(new URL(feed as string).pathname)).text()).toContain('bad@evil.example')
    const analystView = await (await get(path)).text()
    expect(analystView).toContain('bad@evil.example')
    expect(analystView).not.toContain('Feed URL')
    const memberId = /\/members\/(\d+)\/delete/.exec(page)![1]!
    expect((await send(`${path}/members/${memberId}/delete`, {})).status).toBe(303)
    expect(await (await t.api.request(path, { headers: { cookie: admin.cookie } })).text()).toContain('No members.')
  })
})

describe('attachments', () => {
  it('uploads to an incident and downloads only as an attachment, with a hostile filename kept out of the headers', async () => {
    const form = new FormData()
    form.append('_csrf', s.csrf)
    form.append(
      'file',
      new File(['<script>alert(1)</script>'], 'evil"\r\nSet-Cookie: xss_pwned=1; .html', { type: 'text/html' }),
    )
    const up = await t.api.request(`/incidents/${big}/attachments`, {
      method: 'POST',
      headers: { cookie: s.cookie },
      body: form,
    })
    expect(up.status).toBe(303)
    const page = await (await get(`/incidents/${big}`)).text()
    const id = /href="\/attachments\/(\d+)" download/.exec(page)![1]!
    const res = await get(`/attachments/${id}`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/octet-stream')
    expect(res.headers.get('set-cookie')).toBeNull()
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="[\w.-]+"; filename\*=UTF-8''/)
    expect(await res.text()).toBe('<script>alert(1)</script>')
    const empty = new FormData()
    empty.append('_csrf', s.csrf)
    const none = await t.api.request(`/incidents/${big}/attachments`, {
      method: 'POST',
      headers: { cookie: s.cookie },
      body: empty,
    })
    expect(none.status).toBe(422)
  })
})

describe('bulk link to an investigation', () => {
  it('links the selected incidents to an open investigation from the list', async () => {
    const created = await post('/investigations', { name: 'Campaign review' })
    expect(created.status).toBe(303)
    const invId = created.headers.get('location')!.split('/').pop()!
    const list = await (await get('/incidents?tab=all')).text()
    expect(list).toContain(`<option value="${invId}">#${invId} Campaign review</option>`)
    const body = new URLSearchParams({
      _csrf: s.csrf,
      action: 'link',
      investigation: invId,
      return: '/incidents?tab=all',
    })
    body.append('ids', String(big))
    body.append('ids', String(withEml))
    const res = await t.api.request('/incidents/bulk', {
      method: 'POST',
      headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body,
    })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/incidents?tab=all')
    const page = await (await get(`/investigations/${invId}`)).text()
    expect(page).toContain('Campaign</a>')
    expect(page).toContain('Reported message</a>')
  })
})

describe('incident users', () => {
  it('adds a targeted user from the incident page', async () => {
    expect((await post(`/incidents/${withEml}/users`, { kind: 'targets', username: 'cfo@corp.example' })).status).toBe(
      303,
    )
    expect((await post(`/incidents/${withEml}/users`, { kind: 'targets', username: '' })).status).toBe(422)
    const page = await (await get(`/incidents/${withEml}`)).text()
    expect(page).toContain('<li>cfo@corp.example</li>')
  })
})
