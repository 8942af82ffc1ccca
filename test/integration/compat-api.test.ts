import { eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { incidents } from '../../core/src/db/schema/index.ts'
import { createList } from '../../core/src/domain/lists/create-list.ts'
import { SYSTEM } from '../../core/src/policy/actor.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { makeApiKey, makeTeam, makeUser } from '../harness/factories.ts'
import { alertBody, makeJsonSource } from '../harness/intake.ts'
import { makeRichIncident } from '../harness/rich-incident.ts'

let t: TestApp
let key: string
let src: Awaited<ReturnType<typeof makeJsonSource>>
const TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/

beforeAll(async () => {
  t = await startTestApp()
  key = await makeApiKey(t.deps.db, ['Analysts'])
  src = await makeJsonSource(t, 'TAP')
})
afterAll(() => t.close())

/** The way public integrations call: raw key in Authorization, JSON content type even on GET. */
const call = (path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) =>
  t.api.request(path, {
    method: init.method ?? 'GET',
    headers: { authorization: key, 'content-type': 'application/json', ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  })

const newIncident = async (mid: string, over: Record<string, unknown> = {}) => {
  const r = (await (await src.post(alertBody(over, { message_id: mid }))).json()) as { incident_id: number }
  return r.incident_id
}

describe('compatible incident API', () => {
  it('answers 401 without a key and accepts Bearer too', async () => {
    expect((await t.api.request('/api/incidents')).status).toBe(401)
    expect((await t.api.request('/api/incidents', { headers: { authorization: 'nope' } })).status).toBe(401)
    expect(
      (await t.api.request('/api/incidents?created_after=2020-01-01', { headers: { authorization: `Bearer ${key}` } }))
        .status,
    ).toBe(200)
  })

  it('returns the incident shape with exact timestamps, expanded events by default, and event_ids when not expanded', async () => {
    const id = await newIncident('<shape@x>')
    const res = await call(`/api/incidents/${id}.json`)
    expect(res.status).toBe(200)
    const inc = (await res.json()) as Record<string, any>
    expect(inc).toMatchObject({
      id,
      type: 'Phishing',
      state: 'New',
      assignee: 'Unassigned',
      team: 'Unassigned',
      event_count: 1,
      event_sources: ['TAP'],
      event_ids: null,
      comments: [],
      quarantine_results: [],
    })
    expect(inc.created_at).toMatch(TS)
    expect(inc.updated_at).toMatch(TS)
    expect(inc.closed_at).toBeNull()
    expect(inc.hosts.attacker).toEqual(expect.arrayContaining(['198.51.100.7', 'http://evil.example/']))
    expect(inc.users).toEqual(expect.arrayContaining(['jdoe@corp.example', 'jdoe']))
    for (const f of inc.incident_field_values) expect(Object.keys(f).sort()).toEqual(['name', 'value'])
    expect(inc.incident_field_values).toEqual(
      expect.arrayContaining([
        { name: 'Classification', value: 'Phishing' },
        { name: 'Abuse Disposition', value: null },
      ]),
    )
    const ev = inc.events[0]
    expect(ev).toMatchObject({
      category: 'phish',
      severity: 'Major',
      source: 'TAP',
      state: 'Linked',
      falsePositive: false,
      attackers: [{ location: '198.51.100.7' }],
    })
    expect(ev.received).toMatch(TS)
    expect(ev.emails[0]).toMatchObject({
      sender: { email: 'bad@evil.example' },
      recipient: { email: 'jdoe@corp.example' },
      messageId: '<shape@x>',
      subject: 'Invoice',
    })
    expect(ev.emails[0].messageDeliveryTime).toMatch(TS)
    expect(ev.emails[0].attachments[0]).toMatchObject({ name: 'inv.pdf', sha256: 'b'.repeat(64) })

    const flat = (await (await call(`/api/incidents/${id}.json?expand_events=false`)).json()) as Record<string, any>
    expect(flat.events).toBeNull()
    expect(flat.event_ids).toEqual([ev.id])
  })

  it('lists with lower-case state, date-only and ISO dates, half-open windows, ordered by (created_at, id)', async () => {
    const ids = [await newIncident('<w1@x>'), await newIncident('<w2@x>'), await newIncident('<w3@x>')]
    const rows = await t.deps.db.select().from(incidents).where(eq(incidents.id, ids[1]!))
    const boundary = rows[0]!.createdAt.toISOString()
    const before = (await (
      await call(`/api/incidents?state=new&created_after=2020-02-22&created_before=${boundary}`)
    ).json()) as { id: number }[]
    const after = (await (await call(`/api/incidents?state=new&created_after=${boundary}`)).json()) as { id: number }[]
    expect(before.map((i) => i.id)).toContain(ids[0])
    expect(before.map((i) => i.id)).not.toContain(ids[1])
    expect(after.map((i) => i.id)).toEqual(expect.arrayContaining([ids[1], ids[2]]))
    expect(after.map((i) => i.id)).not.toContain(ids[0])
    const all = [...before, ...after].map((i) => i.id)
    expect(new Set(all).size).toBe(all.length)
    expect(all).toEqual([...all].sort((a, b) => a - b))
    const closed = (await (
      await call('/api/incidents?state=closed&created_after=2020-01-01T00:00:00.000+00:00')
    ).json()) as unknown[]
    expect(closed).toEqual([])
  })

  it('filters by comma-separated and unencoded message_id, tolerates limit=<date>, and limit alone answers recent incidents', async () => {
    const a = await newIncident('<m1@x>')
    const b = await newIncident('<m2@x>')
    const res = (await (await call('/api/incidents?message_id=<m1@x>,m2@x&created_after=2020-01-01')).json()) as {
      id: number
    }[]
    expect(res.map((i) => i.id).sort()).toEqual([a, b].sort())
    const raw = (await (await call('/api/incidents?message_id=<m1@x>&limit=2021-01-01')).json()) as { id: number }[]
    expect(raw.map((i) => i.id)).toEqual([a])
    const recent = (await (await call('/api/incidents?limit=2')).json()) as { id: number }[]
    expect(recent.map((i) => i.id)).toEqual([a, b])
  })

  it('pages with page_size and X-Next-Cursor without repeating or skipping', async () => {
    for (let i = 0; i < 5; i++) await newIncident(`<page${i}@x>`)
    const all = ((await (await call('/api/incidents?created_after=2020-01-01')).json()) as { id: number }[]).map(
      (i) => i.id,
    )
    const seen: number[] = []
    let cursor = ''
    for (let guard = 0; guard < 100; guard++) {
      const res = await call(`/api/incidents?created_after=2020-01-01&page_size=3${cursor ? `&cursor=${cursor}` : ''}`)
      const page = (await res.json()) as { id: number }[]
      if (!Array.isArray(page)) throw new Error(JSON.stringify(page))
      seen.push(...page.map((i) => i.id))
      cursor = res.headers.get('x-next-cursor') ?? ''
      if (!cursor) break
    }
    expect(seen).toEqual(all)
  })

  it('streams an un-paged window larger than one internal page completely, in order, once each', async () => {
    await t.deps.db.execute(
      sql`INSERT INTO incidents (summary, created_at) SELECT 'bulk ' || g, timestamptz '2019-01-01' + g * interval '1 minute' FROM generate_series(1, 600) g`,
    )
    const res = await call('/api/incidents?created_after=2019-01-01&created_before=2020-01-01&expand_events=false')
    const list = (await res.json()) as { id: number; created_at: string }[]
    expect(list).toHaveLength(600)
    expect(list.map((i) => i.id)).toEqual([...list.map((i) => i.id)].sort((a, b) => a - b))
    expect(list[0]!.created_at).toBe('2019-01-01T00:01:00Z')
  })

  it('comments (detail optional) answer the history record; the literal {incident_id} path is a clean 404', async () => {
    const id = await newIncident('<c@x>')
    const res = await call(`/api/incidents/${id}/comments.json`, { method: 'POST', body: { summary: 'looked at it' } })
    expect(res.status).toBe(201)
    expect(await res.json()).toMatchObject({
      incident_id: id,
      history_type: 'comment',
      summary: 'looked at it',
      detail: '',
      response_id: null,
    })
    const inc = (await (await call(`/api/incidents/${id}.json`)).json()) as {
      comments: { user: string; comment: string; commented_on: string }[]
    }
    expect(inc.comments[0]!.comment).toBe('looked at it')
    expect(inc.comments[0]!.commented_on).toMatch(TS)
    const lit = await call('/api/incidents/{incident_id}/users.json', { method: 'POST', body: { targets: ['x'] } })
    expect(lit.status).toBe(404)
    expect(await lit.json()).toMatchObject({ error: { code: 'NOT_FOUND' } })
  })

  it('adds users, sets description (append/overwrite), team and assignee (unchanged is 200, unknown 404), fields with the disposition rule, and closes', async () => {
    const id = await newIncident('<w@x>')
    const u = await call(`/api/incidents/${id}/users.json`, {
      method: 'POST',
      body: { targets: ['alice'], attackers: ['mallory'] },
    })
    expect(u.status).toBe(200)
    expect(((await u.json()) as { users: string[] }).users).toEqual(expect.arrayContaining(['alice', 'mallory']))
    await call(`/api/incidents/${id}/description.json`, {
      method: 'POST',
      body: { description: 'one', overwrite: true },
    })
    const d = (await (
      await call(`/api/incidents/${id}/description.json`, {
        method: 'POST',
        body: { description: 'two', overwrite: false },
      })
    ).json()) as { description: string }
    expect(d.description).toBe('one\ntwo')

    const { user } = await makeUser(t.deps.db, ['Analysts'])
    const set = await call(`/api/incidents/${id}/team_and_assignee.json`, {
      method: 'POST',
      body: { team: 'Analysts', assignee: user.username },
    })
    expect(set.status).toBe(200)
    expect(await set.json()).toMatchObject({ team: 'Analysts', assignee: user.username, state: 'Assigned' })
    expect(
      (
        await call(`/api/incidents/${id}/team_and_assignee.json`, {
          method: 'POST',
          body: { team: 'Analysts', assignee: user.username },
        })
      ).status,
    ).toBe(200)
    expect(
      (
        await call(`/api/incidents/${id}/team_and_assignee.json`, {
          method: 'POST',
          body: { team: 'Analysts', assignee: 'ghost' },
        })
      ).status,
    ).toBe(404)

    const bad = await call(`/api/incidents/${id}/incident_fields.json?allow_data_override=true`, {
      method: 'POST',
      body: { fields: { 'Abuse Disposition': 'Malicious', 'Sub Disposition': 'Likely Harmless' } },
    })
    expect(bad.status).toBe(400)
    const ok = await call(`/api/incidents/${id}/incident_fields.json?allow_data_override=true`, {
      method: 'POST',
      body: {
        fields: { Severity: 'Critical', 'Abuse Disposition': 'Unknown', 'Sub Disposition': 'Needs Manual Review' },
      },
    })
    expect(ok.status).toBe(200)
    const f = (await ok.json()) as { incident_field_values: { name: string; value: string | null }[] }
    expect(f.incident_field_values).toEqual(
      expect.arrayContaining([
        { name: 'Severity', value: 'Critical' },
        { name: 'Sub Disposition', value: 'Needs Manual Review' },
      ]),
    )
    expect(
      (
        await call(`/api/incidents/${id}/incident_fields.json`, {
          method: 'POST',
          body: { fields: { 'Abuse Disposition': 'malicious' } },
        })
      ).status,
    ).toBe(400)

    const closed = await call(`/api/incidents/${id}/close.json`, {
      method: 'POST',
      body: { summary: 'done', detail: 'phish removed' },
    })
    expect(await closed.json()).toMatchObject({ state: 'Closed', close_summary: 'done', close_detail: 'phish removed' })
    const other = [await newIncident('<b1@x>'), await newIncident('<b2@x>')]
    const bulk = await call('/api/incidents/close.json', {
      method: 'POST',
      body: { incidentIds: other, summary: 'bulk', detail: '' },
    })
    expect(bulk.status).toBe(200)
    const closedList = (await (await call('/api/incidents?state=closed&closed_after=2020-01-01')).json()) as {
      id: number
      closed_at: string
    }[]
    expect(closedList.map((i) => i.id)).toEqual(expect.arrayContaining([id, ...other]))
    expect(closedList[0]!.closed_at).toMatch(TS)
  })

  it('hides private incidents from non-members everywhere (list, get, writes), admins included', async () => {
    const team = await makeTeam(t.deps.db, { isPrivate: true })
    const id = await newIncident('<private@x>')
    await t.deps.db.update(incidents).set({ isPrivate: true, teamId: team.id }).where(eq(incidents.id, id))
    const admin = await makeApiKey(t.deps.db, ['Admins'])
    const member = await makeApiKey(t.deps.db, [team.name])
    const as = (k: string, path: string, method = 'GET', body?: unknown) =>
      t.api.request(path, {
        method,
        headers: { authorization: k, 'content-type': 'application/json' },
        body: body ? JSON.stringify(body) : undefined,
      })
    expect((await as(admin, `/api/incidents/${id}.json`)).status).toBe(404)
    expect((await as(admin, `/api/incidents/${id}/comments.json`, 'POST', { summary: 'x' })).status).toBe(404)
    const listed = (await (await as(admin, '/api/incidents?message_id=<private@x>')).json()) as unknown[]
    expect(listed).toEqual([])
    expect((await as(member, `/api/incidents/${id}.json`)).status).toBe(200)
    expect(((await (await as(member, '/api/incidents?message_id=<private@x>')).json()) as unknown[]).length).toBe(1)
    // streamed, paged and most-recent lists alike
    const listedIds = async (k: string, q: string) =>
      ((await (await as(k, `/api/incidents?${q}`)).json()) as { id: number }[]).map((i) => i.id)
    for (const q of ['created_after=2020-01-01', 'created_after=2020-01-01&page_size=1000', 'limit=1000']) {
      expect(await listedIds(admin, q)).not.toContain(id)
      expect(await listedIds(member, q)).toContain(id)
    }
  })

  it('presents every part of an incident exactly, the same in the list (streamed and paged) and alone', async () => {
    const team = await makeTeam(t.deps.db)
    const { user } = await makeUser(t.deps.db, ['Analysts'])
    const id = await makeRichIncident(t.deps.db, { teamId: Number(team.id), assigneeId: Number(user.id) })
    const one = (await (await call(`/api/incidents/${id}.json`)).json()) as { events: { id: number }[] }
    const [e1, e2] = one.events.map((e) => e.id)
    const w = '2021-03-30T11:42:24Z'
    const streamed = (await (
      await call(`/api/incidents?created_after=${w}&created_before=2021-03-30T11:42:25Z`)
    ).json()) as unknown[]
    const paged = (await (
      await call(`/api/incidents?created_after=${w}&created_before=2021-03-30T11:42:25Z&limit=5`)
    ).json()) as unknown[]
    expect(streamed).toEqual([one])
    expect(paged).toEqual([one])
    const awkward = 'quote " backslash \\ newline \n tab \t ctrl \u0001 emoji \u{1F600} accent é'
    const email = {
      subject: awkward,
      messageId: '<m1@x>',
      messageDeliveryTime: '2021-03-30T11:42:24Z',
      abuseCopy: true,
      headers: { n: 1.5, Received: ['a', 'b'], 'X-Mailer': 'x' },
      urls: ['http://u.example/"q', 'http://v.example/'],
      attachments: [{ md5: 'm', name: 'inv.pdf', size: 1000, sha256: 's', contentType: 'application/pdf' }],
    }
    const q = { messageId: '<m1@x>', isRead: 'false', wasUndone: 'false', details: '' }
    expect(JSON.stringify(one)).toBe(
      JSON.stringify({
        id,
        type: 'Malware',
        summary: awkward,
        description: 'desc',
        score: 4000,
        state: 'Closed',
        created_at: '2021-03-30T11:42:24Z',
        updated_at: '2021-03-30T11:49:48Z',
        closed_at: '2021-03-30T11:49:48Z',
        close_summary: 'sum',
        close_detail: awkward,
        event_count: 2,
        false_positive_count: 1,
        event_sources: ['Alpha-src', 'zeta-src'],
        users: ['Alice', 'bob', 'jdoe'],
        assignee: user.username,
        team: team.name,
        hosts: {
          attacker: ['198.51.100.7', 'A.example', 'b.example'],
          forensics: ['f.example'],
          cnc: ['c.example'],
          url: ['http://u.example/'],
        },
        incident_field_values: [
          { name: 'Classification', value: 'Malware' },
          { name: 'Attack Vector', value: null },
          { name: 'Severity', value: 'Low' },
          { name: 'Abuse Disposition', value: null },
          { name: 'Sub Disposition', value: null },
          { name: 'Custom Note', value: awkward },
        ],
        events: [
          {
            id: e1,
            category: 'malware',
            alertType: 'malware',
            severity: 'Critical',
            source: 'zeta-src',
            state: 'Linked',
            attackDirection: 'outbound',
            received: '2021-03-30T11:42:24Z',
            falsePositive: true,
            threatname: 'Bad.Thing',
            description: 'alert summary',
            attackers: [
              { location: '198.51.100.7' },
              { location: 'http://evil.example/"x' },
              { location: 'mallory' },
              { location: '' },
              { location: 'h' },
            ],
            emails: [
              {
                sender: { email: 'bad@evil.example', vap: false },
                recipient: { email: 'b@corp.example', vap: false },
                ...email,
              },
              {
                sender: { email: 'bad@evil.example', vap: false },
                recipient: { email: 'a@corp.example', vap: false },
                ...email,
              },
              {
                sender: { email: '', vap: false },
                recipient: { email: '', vap: false },
                subject: '',
                messageId: '',
                messageDeliveryTime: '2021-03-30T11:40:00Z',
                abuseCopy: false,
                headers: {},
                urls: [],
                attachments: [],
              },
            ],
          },
          {
            id: e2,
            category: 'phish',
            alertType: 'phish',
            severity: 'Minor',
            source: 'Alpha-src',
            state: 'Linked',
            attackDirection: 'inbound',
            received: '2021-03-30T11:43:00Z',
            falsePositive: false,
            threatname: 'N',
            description: awkward,
            attackers: [],
            emails: [],
          },
        ],
        event_ids: null,
        comments: [
          { user: 'jdoe', comment: 'first\ndetail', commented_on: '2021-03-30T11:50:00Z' },
          { user: 'alice', comment: awkward, commented_on: '2021-03-30T11:51:00Z' },
          { user: 'bob', comment: '', commented_on: '2021-03-30T11:52:00Z' },
        ],
        quarantine_results: [
          {
            alertSource: 'msgraph',
            startTime: '2021-03-30T11:45:00Z',
            endTime: '2021-03-30T11:45:01Z',
            status: 'successful',
            recipientType: 'Original Recipient',
            recipient: 'a@corp.example',
            ...q,
            isRead: 'true',
            details: 'moved',
          },
          {
            alertSource: '',
            startTime: '2021-03-30T11:44:30Z',
            endTime: null,
            status: 'failed',
            recipientType: 'Distribution List',
            recipient: 'dl@corp.example',
            ...q,
            details: awkward,
          },
          {
            alertSource: 'gmail',
            startTime: '2021-03-30T11:44:40Z',
            endTime: null,
            status: 'pending',
            recipientType: 'Forwarded',
            recipient: 'f@corp.example',
            ...q,
          },
          {
            alertSource: 'ews',
            startTime: '2021-03-30T11:46:00Z',
            endTime: '2021-03-30T11:47:00Z',
            status: 'successful',
            recipientType: 'Search',
            recipient: 's@corp.example',
            ...q,
            wasUndone: 'true',
          },
          {
            alertSource: 'imap',
            startTime: '2021-03-30T11:44:55Z',
            endTime: null,
            status: 'pending',
            recipientType: 'Original Recipient',
            recipient: 'w@corp.example',
            ...q,
          },
          // not found and exempt are failed for compatible clients (nothing was pulled there), with details saying why
          {
            alertSource: 'imap',
            startTime: '2021-03-30T11:45:10Z',
            endTime: '2021-03-30T11:45:11Z',
            status: 'failed',
            recipientType: 'Original Recipient',
            recipient: 'n@corp.example',
            ...q,
            details: 'Message not found',
          },
          {
            alertSource: 'msgraph',
            startTime: '2021-03-30T11:45:12Z',
            endTime: '2021-03-30T11:45:13Z',
            status: 'failed',
            recipientType: 'Distribution List',
            recipient: 'n2@corp.example',
            ...q,
            details: 'no copy of the message in this mailbox',
          },
          {
            alertSource: '',
            startTime: '2021-03-30T11:44:58Z',
            endTime: null,
            status: 'failed',
            recipientType: 'Distribution List',
            recipient: 'x@corp.example',
            ...q,
            details: 'Recipient is exempt from quarantine',
          },
          // an undo under way is still pending
          {
            alertSource: 'ews',
            startTime: '2021-03-30T11:45:20Z',
            endTime: '2021-03-30T11:45:21Z',
            status: 'pending',
            recipientType: 'Forwarded',
            recipient: 'r@corp.example',
            ...q,
            isRead: 'true',
          },
        ],
        // the counters count the shown statuses: undone counts as successful, quarantining/restoring as pending
        successful_quarantines: 2,
        failed_quarantines: 4,
        pending_quarantines: 3,
      }),
    )
    const flat = (await (
      await call(`/api/incidents?created_after=${w}&created_before=2021-03-30T11:42:25Z&expand_events=false`)
    ).json()) as unknown[]
    expect(flat[0]).toEqual({ ...one, events: null, event_ids: [e1, e2] })
  })
})

describe('compatible list members and feeds', () => {
  it('adds, reads, updates and deletes members with the documented shapes; feeds are plain text with ETag', async () => {
    const { list, feedToken } = await createList(t.deps.db, t.deps.keyring, SYSTEM, { name: 'blocked-ips', type: 'ip' })
    const add = await call(`/api/lists/${list.id}/members.json`, {
      method: 'POST',
      body: { member: '203.0.113.5', description: 'c2' },
    })
    expect(add.status).toBe(201)
    const m = (await add.json()) as { id: number }
    expect(m).toMatchObject({ host: { host: '203.0.113.5' }, description: 'c2', expiration: null })
    expect(
      (await call(`/api/lists/${list.id}/members.json`, { method: 'POST', body: { member: 'not-an-ip' } })).status,
    ).toBe(400)
    await call(`/api/lists/${list.id}/members.json`, {
      method: 'POST',
      body: { member: '198.51.100.0/24', expiration: '2020-01-01' },
    })
    const all = (await (await call(`/api/lists/${list.id}/members.json`)).json()) as unknown[]
    expect(all).toHaveLength(1)
    const put = await call(`/api/lists/${list.id}/members/${m.id}.json`, {
      method: 'PUT',
      body: { member: '203.0.113.6', description: 'moved', expiration: '2099-01-01T00:00:00.5+02:00' },
    })
    expect(await put.json()).toMatchObject({ host: { host: '203.0.113.6' }, expiration: '2098-12-31T22:00:00Z' })
    expect(await (await call(`/api/lists/${list.id}/members/${m.id}.json`)).json()).toMatchObject({ id: m.id })

    const feed = await t.api.request(`/feeds/lists/${feedToken}.txt`)
    expect(feed.status).toBe(200)
    expect(await feed.text()).toBe('203.0.113.6\n')
    const etag = feed.headers.get('etag')!
    expect((await t.api.request(`/feeds/lists/${feedToken}.txt`, { headers: { 'if-none-match': etag } })).status).toBe(
      304,
    )
    expect((await t.api.request('/feeds/lists/wrong.txt')).status).toBe(404)

    const del = await call(`/api/lists/${list.id}/members/${m.id}.json`, { method: 'DELETE' })
    expect(del.status).toBe(200)
    expect(await (await t.api.request(`/feeds/lists/${feedToken}.txt`)).text()).toBe('')

    const users = await createList(t.deps.db, t.deps.keyring, SYSTEM, { name: 'vips', type: 'user' })
    const ur = await call(`/api/lists/${users.list.id}/members.json`, { method: 'POST', body: { member: 'jdoe' } })
    expect(await ur.json()).toMatchObject({ reverse_user: { username: 'jdoe' } })
  })
})
