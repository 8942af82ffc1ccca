import { eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { responseRuns, users } from '../../core/src/db/schema/index.ts'
import { createApiKey } from '../../core/src/domain/api-keys/create-api-key.ts'
import { reevaluateIncidents } from '../../core/src/domain/matching/reevaluate-incidents.ts'
import { notifyUsers } from '../../core/src/domain/notifications/notify-users.ts'
import { executeResponseRun } from '../../core/src/domain/responses/execute-response-run.ts'
import { ALL_JOBS } from '../../core/src/jobs/all-jobs.ts'
import { startWorkers } from '../../core/src/jobs/worker.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { makeApiKey, makeTeam, makeUser, signInAs } from '../harness/factories.ts'
import { type SmtpPeer, startSmtpPeer } from '../peers/smtp.ts'

/**
 * Workflow notifications (issue 14): in-app rows with an unread count, e-mail through the smtp
 * connector (read back from a real SMTP server), never shown across the private-team line.
 */
let t: TestApp
let smtp: SmtpPeer
let blue: Awaited<ReturnType<typeof makeTeam>>
type Person = Awaited<ReturnType<typeof makeUser>> & { key: string }
let alice: Person
let bob: Person
let carol: Person

const person = async (teams: string[], email: string | null): Promise<Person> => {
  const p = await makeUser(t.deps.db, teams)
  if (email) await t.deps.db.update(users).set({ email }).where(eq(users.id, p.user.id))
  const key = (await createApiKey(t.deps.db, p.actor, { name: `k-${p.user.username}`, teams })).key
  return { ...p, key }
}
const api = async (key: string, path: string, method = 'GET', body?: unknown) => {
  const res = await t.api.request(path, {
    method,
    headers: { authorization: key, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  // biome-ignore lint/suspicious/noExplicitAny: the test reads the JSON answers loosely
  return { status: res.status, ...((await res.json()) as { data?: any; unread?: number; error?: { message: string } }) }
}
const waitFor = async <T>(probe: () => Promise<T | undefined | false> | T | undefined | false, ms = 20_000) => {
  const until = Date.now() + ms
  for (;;) {
    const v = await probe()
    if (v) return v
    if (Date.now() > until) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 150))
  }
}
const newIncident = async (opts: { isPrivate?: boolean; teamId?: number | null; assigneeId?: number | null } = {}) => {
  const [row] = (await t.deps.db.execute(sql`
    INSERT INTO incidents (state, type, severity, score, summary, team_id, assignee_id, is_private)
    VALUES ('new', 'Phish', 'Major', 10, 'a phish', ${opts.teamId ?? null}, ${opts.assigneeId ?? null}, ${opts.isPrivate ?? false})
    RETURNING id`)) as unknown as { id: string }[]
  return Number(row!.id)
}
const mailsTo = (address: string) => smtp.messages.filter((m) => m.envelopeTo.includes(address))

beforeAll(async () => {
  t = await startTestApp()
  smtp = await startSmtpPeer()
  const admin = await makeApiKey(t.deps.db, ['Admins'])
  const created = await api(admin, '/api/v1/connectors', 'POST', {
    kind: 'smtp',
    name: 'relay',
    settings: { host: '127.0.0.1', port: smtp.port, security: 'none', from: 'clawback@corp.example' },
    isOnPremises: true,
  })
  expect(created.status).toBe(201)
  blue = await makeTeam(t.deps.db, { isPrivate: true })
  alice = await person([blue.name], 'alice@corp.example')
  bob = await person([blue.name], 'bob@corp.example')
  const green = await makeTeam(t.deps.db)
  carol = await person([green.name], 'carol@corp.example')
  await startWorkers(
    t.deps.boss,
    { db: t.deps.db, log: t.deps.log, keyring: t.deps.keyring, dataDir: t.dataDir },
    1,
    ALL_JOBS,
  )
})
afterAll(async () => {
  await smtp?.close()
  await t?.close()
})

describe('workflow notifications', () => {
  it('assignment notifies the new assignee in-app and by e-mail, never the actor', async () => {
    const id = await newIncident({ teamId: blue.id })
    const s = await signInAs(t.api, alice.user.username)
    const assign = (assignee: string) =>
      t.api.request(`/incidents/${id}/assign`, {
        method: 'POST',
        headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ team: blue.name, assignee, _csrf: s.csrf }),
      })
    expect((await assign(bob.user.username)).status).toBeLessThan(400)

    const mine = await api(bob.key, '/api/v1/notifications')
    expect(mine.status).toBe(200)
    expect(mine.unread).toBe(1)
    expect(mine.data).toEqual([
      expect.objectContaining({
        incidentId: id,
        kind: 'assigned',
        readAt: null,
        message: expect.stringContaining(`#${id}`),
      }),
    ])
    // woken by NOTIFY (the console has no pg-boss handle); the schedule is the safety net, so allow a minute
    const mail = await waitFor(() => mailsTo('bob@corp.example')[0], 70_000)
    expect(mail.mail.messageId).toBe(`<notification-${mine.data[0].id}@clawback.invalid>`)
    expect(mail.mail.subject).toContain(`#${id}`)
    expect(mail.mail.text).toContain(`Incident #${id}`)

    // Alice assigning herself: nobody hears of it (and she heard nothing of bob's assignment).
    expect((await assign(alice.user.username)).status).toBeLessThan(400)
    expect((await api(alice.key, '/api/v1/notifications')).data).toEqual([])
    await new Promise((r) => setTimeout(r, 1500))
    expect(mailsTo('alice@corp.example')).toEqual([])
    // The e-mail went out exactly once, however often the job ran since.
    expect(mailsTo('bob@corp.example')).toHaveLength(1)
  })

  it('a response that failed for good notifies who asked for it', async () => {
    const id = await newIncident({ teamId: blue.id })
    const [run] = await t.deps.db
      .insert(responseRuns)
      .values({
        incidentId: id,
        responseType: 'webhook.post',
        params: { connectorId: 999_999 },
        target: '',
        status: 'queued',
        requestedBy: carol.user.id,
        idempotencyKey: `manual:${id}`,
      })
      .returning()
    const ctx = {
      db: t.deps.db,
      boss: t.deps.boss,
      log: t.deps.log,
      keyring: t.deps.keyring,
      dataDir: t.dataDir,
      signal: new AbortController().signal,
    }
    await expect(executeResponseRun(ctx, run!.id, 'run')).rejects.toThrow(/connector/)
    const mine = await api(carol.key, '/api/v1/notifications')
    expect(mine.data).toEqual([expect.objectContaining({ incidentId: id, kind: 'response_failed' })])
    expect(mine.data[0].message).toMatch(/failed/)
    await waitFor(() => mailsTo('carol@corp.example').length === 1)
  })

  it("never lists a private incident's notification to a user outside its team", async () => {
    const id = await newIncident({ isPrivate: true, teamId: blue.id })
    // as if carol had been told before the incident went private to a team she is not in
    await t.deps.db.transaction((tx) =>
      notifyUsers(
        tx,
        {
          userIds: [carol.user.id, bob.user.id],
          incidentId: id,
          kind: 'state_changed',
          message: 'secret',
        },
        t.deps.boss,
      ),
    )
    const carols = await api(carol.key, '/api/v1/notifications')
    expect(carols.data.map((n: { incidentId: number }) => n.incidentId)).not.toContain(id)
    expect(JSON.stringify(carols)).not.toContain('secret')
    const bobs = await api(bob.key, '/api/v1/notifications')
    expect(bobs.data.map((n: { incidentId: number }) => n.incidentId)).toContain(id)
    // nor is it e-mailed to her
    await waitFor(() => mailsTo('bob@corp.example').some((m) => m.mail.subject?.includes('secret')))
    expect(mailsTo('carol@corp.example').some((m) => m.mail.subject?.includes('secret'))).toBe(false)
  })

  it("marks read by ids (only one's own) or all, and names the field on bad input", async () => {
    const before = await api(bob.key, '/api/v1/notifications')
    expect(before.unread).toBeGreaterThanOrEqual(2)
    const [first] = before.data
    const carolsId = (await api(carol.key, '/api/v1/notifications')).data[0].id
    const one = await api(bob.key, '/api/v1/notifications/read', 'POST', { ids: [first.id, carolsId] })
    expect(one).toMatchObject({ status: 200, data: { marked: 1 } })
    expect((await api(bob.key, '/api/v1/notifications')).unread).toBe(before.unread! - 1)
    expect((await api(carol.key, '/api/v1/notifications')).unread).toBe(1)

    const bad = await api(bob.key, '/api/v1/notifications/read', 'POST', {})
    expect(bad.status).toBe(400)
    expect(bad.error?.message).toMatch(/ids/)
    expect((await api(bob.key, '/api/v1/notifications/read', 'POST', { ids: ['x'] })).status).toBe(400)

    expect((await api(bob.key, '/api/v1/notifications/read', 'POST', { all: true })).status).toBe(200)
    expect((await api(bob.key, '/api/v1/notifications')).unread).toBe(0)
  })

  it('shows the unread count in the top bar and the page; marking all read needs the CSRF token', async () => {
    const id = await newIncident({ teamId: blue.id, assigneeId: bob.user.id, isPrivate: true })
    await t.deps.db.transaction((tx) =>
      notifyUsers(tx, { userIds: [bob.user.id], incidentId: id, kind: 'score', message: '<script>x()</script>' }),
    )
    const s = await signInAs(t.api, bob.user.username)
    const home = await (await t.api.request('/incidents', { headers: { cookie: s.cookie } })).text()
    expect(home).toMatch(/href="\/notifications"[^>]*>Notifications <span class="badge" id="unread-badge">1<\/span>/)
    const page = await (await t.api.request('/notifications', { headers: { cookie: s.cookie } })).text()
    expect(page).toContain('1 unread')
    expect(page).toContain('&lt;script&gt;x()&lt;/script&gt;')
    expect(page).not.toContain('<script>x()')

    const post = (body: Record<string, string>) =>
      t.api.request('/notifications/read', {
        method: 'POST',
        headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(body),
      })
    expect((await post({})).status).toBe(403)
    expect((await api(bob.key, '/api/v1/notifications')).unread).toBe(1)
    expect((await post({ _csrf: s.csrf })).status).toBe(303)
    expect((await api(bob.key, '/api/v1/notifications')).unread).toBe(0)
    const after = await (await t.api.request('/incidents', { headers: { cookie: s.cookie } })).text()
    expect(after).not.toContain('unread-badge')
  })

  it('tells the team once when an unassigned incident’s score crosses the threshold', async () => {
    const id = await newIncident({ teamId: blue.id })
    const scoreNotes = async (p: Person) =>
      (await api(p.key, '/api/v1/notifications')).data.filter(
        (n: { kind: string; incidentId: number }) => n.kind === 'score' && n.incidentId === id,
      )
    // Drains the re-evaluation the score trigger asked for (the worker may take some of it first).
    const drain = () =>
      waitFor(async () => {
        await reevaluateIncidents(t.deps.db, t.deps.boss)
        const [r] = (await t.deps.db.execute(
          sql`SELECT count(*)::int AS n FROM incident_reevaluations WHERE incident_id = ${id}`,
        )) as unknown as { n: number }[]
        return r!.n === 0
      })
    await t.deps.db.execute(sql`UPDATE incidents SET score = 79 WHERE id = ${id}`)
    await drain()
    expect(await scoreNotes(bob)).toHaveLength(0)
    await t.deps.db.execute(sql`UPDATE incidents SET score = 85 WHERE id = ${id}`)
    await drain()
    await waitFor(async () => (await scoreNotes(alice)).length > 0 && (await scoreNotes(bob)).length > 0)
    await t.deps.db.execute(sql`UPDATE incidents SET score = 95 WHERE id = ${id}`)
    await drain()
    expect(await scoreNotes(alice)).toHaveLength(1)
    expect(await scoreNotes(bob)).toHaveLength(1)
    expect(await scoreNotes(carol)).toHaveLength(0)
  })

  it('sends through the relay chosen on the Connections page, whose form needs CSRF and names a bad field', async () => {
    const second = await startSmtpPeer()
    try {
      const admin = await makeApiKey(t.deps.db, ['Admins'])
      const relay2 = await api(admin, '/api/v1/connectors', 'POST', {
        kind: 'smtp',
        name: 'relay-2',
        settings: { host: '127.0.0.1', port: second.port, security: 'none', from: 'clawback@corp.example' },
        isOnPremises: true,
      })
      // A run already sending reads the relay it started with: let earlier e-mails go out first.
      await waitFor(async () => {
        const [r] = (await t.deps.db.execute(sql`SELECT
            (SELECT count(*) FROM user_notifications WHERE emailed_at IS NULL)
          + (SELECT count(*) FROM pgboss.job WHERE name = 'notification.email' AND state = 'active') AS n`)) as unknown as {
          n: string
        }[]
        return Number(r!.n) === 0
      })
      const s = await signInAs(t.console, (await makeUser(t.deps.db, ['Admins'])).user.username)
      const save = (body: Record<string, string>) =>
        t.console.request('/connections/notifications', {
          method: 'POST',
          headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(body),
        })
      expect((await save({ connectorId: String(relay2.data.id), scoreThreshold: '70' })).status).toBe(403)
      const bad = await save({ connectorId: String(relay2.data.id), scoreThreshold: 'lots', _csrf: s.csrf })
      expect(bad.status).toBe(422)
      expect(await bad.text()).toContain('scoreThreshold')
      const ok = await save({ connectorId: String(relay2.data.id), scoreThreshold: '70', _csrf: s.csrf })
      expect(ok.status).toBe(200)
      expect(await ok.text()).toMatch(new RegExp(`<option value="${relay2.data.id}" selected>relay-2</option>`))

      const id = await newIncident({ teamId: blue.id })
      await t.deps.db.transaction((tx) =>
        notifyUsers(
          tx,
          { userIds: [alice.user.id], incidentId: id, kind: 'state_changed', message: 'via relay 2' },
          t.deps.boss,
        ),
      )
      await waitFor(() => second.messages.some((m) => m.envelopeTo.includes('alice@corp.example')))
      expect(mailsTo('alice@corp.example').some((m) => m.mail.subject?.includes('via relay 2'))).toBe(false)
    } finally {
      await second.close()
    }
  })
})
