import { and, eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { auditLog, incidents, teams, users } from '../../core/src/db/schema/index.ts'
import { createApiKey } from '../../core/src/domain/api-keys/create-api-key.ts'
import { addAttachment } from '../../core/src/domain/attachments/add-attachment.ts'
import { closeIncidents } from '../../core/src/domain/incidents/close-incidents.ts'
import { createInvestigation } from '../../core/src/domain/investigations/create-investigation.ts'
import { deleteInvestigation } from '../../core/src/domain/investigations/delete-investigation.ts'
import { linkIncident } from '../../core/src/domain/investigations/link-incident.ts'
import { createUser } from '../../core/src/domain/users/create-user.ts'
import { SYSTEM } from '../../core/src/policy/actor.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { makeApiKey, makeTeam, makeUser, PASSWORD } from '../harness/factories.ts'

/** Issue 13, items 1–6 (authorization and sessions): each test names the item it keeps fixed. */
let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ CLAWBACK_LOCKOUT_ATTEMPTS: '5', CLAWBACK_LOCKOUT_MINUTES: '15' })
})
afterAll(() => t.close())

type AuditRecord = { action: string; objectType: string | null; objectId: string | null }

const api = (path: string, key: string, init: { method?: string; body?: unknown } = {}) =>
  t.api.request(path, {
    method: init.method ?? 'GET',
    headers: { authorization: key, 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  })

describe('issue 13: API keys', () => {
  it("hardening 2: an API key may carry only its creator's teams", async () => {
    const secret = await makeTeam(t.deps.db, { isPrivate: true })
    const admin = await makeApiKey(t.deps.db, ['Admins'])
    for (const team of [secret.name, 'Script-Admins']) {
      const res = await api('/api/v1/api-keys', admin, { method: 'POST', body: { name: 'sneaky', teams: [team] } })
      expect(res.status, team).toBe(403)
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/^teams: /)
    }
    const mixed = await api('/api/v1/api-keys', admin, {
      method: 'POST',
      body: { name: 'mixed', teams: ['Admins', secret.name] },
    })
    expect(mixed.status).toBe(403)
    const listed = (await (await api('/api/v1/api-keys', admin)).json()) as { data: { name: string }[] }
    expect(listed.data.map((k) => k.name)).not.toContain('sneaky')
    expect(listed.data.map((k) => k.name)).not.toContain('mixed')

    // Its own teams are fine; a signed-in member of the private team may give a key that team.
    expect(
      (await api('/api/v1/api-keys', admin, { method: 'POST', body: { name: 'own', teams: ['Admins'] } })).status,
    ).toBe(201)
    const { actor: member } = await makeUser(t.deps.db, [secret.name])
    await expect(createApiKey(t.deps.db, member, { name: 'member', teams: [secret.name] })).resolves.toMatchObject({
      name: 'member',
    })
    await expect(createApiKey(t.deps.db, member, { name: 'escalate', teams: ['Admins'] })).rejects.toMatchObject({
      code: 'FORBIDDEN',
    })
  })

  it("hardening 3: a disabled user's API keys answer 401 until the user is enabled again", async () => {
    const { user, actor } = await makeUser(t.deps.db, ['Admins'])
    const { key } = await createApiKey(t.deps.db, actor, { name: 'owned', teams: ['Admins'] })
    const other = await makeApiKey(t.deps.db, ['Admins'])
    expect((await api('/api/v1/me', key)).status).toBe(200)

    const off = await api(`/api/v1/users/${user.id}`, other, { method: 'PATCH', body: { isDisabled: true } })
    expect(off.status).toBe(200)
    expect((await api('/api/v1/me', key)).status).toBe(401)
    expect((await api('/api/v1/incidents', key)).status).toBe(401)

    const on = await api(`/api/v1/users/${user.id}`, other, { method: 'PATCH', body: { isDisabled: false } })
    expect(on.status).toBe(200)
    expect((await api('/api/v1/me', key)).status).toBe(200)
  })
})

/** A sign-in form post with a valid pre-session CSRF pair (one pair serves any number of posts). */
const loginForm = async () => {
  const page = await t.api.request('/login')
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!
  const cookie = page.headers.get('set-cookie')!.split(';')[0]!
  return (username: string, password: string) =>
    t.api.request('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: new URLSearchParams({ username, password, _csrf: csrf }),
    })
}

const auditCount = async (userId: number) => {
  const rows = await t.deps.db
    .select({ action: auditLog.action })
    .from(auditLog)
    .where(and(eq(auditLog.objectType, 'user'), eq(auditLog.objectId, String(userId))))
  const counts: Record<string, number> = {}
  for (const r of rows) counts[r.action] = (counts[r.action] ?? 0) + 1
  return counts
}

describe('issue 13: sign-in', () => {
  it('hardening 5: 30 parallel sign-ins evaluate no more than the lockout limit (5) of them', async () => {
    const { user } = await makeUser(t.deps.db, ['Analysts'])
    const post = await loginForm()
    const answers = await Promise.all(Array.from({ length: 30 }, () => post(user.username, 'wrong password!!')))
    expect(answers.map((r) => r.status)).toEqual(Array(30).fill(401))
    const counts = await auditCount(user.id)
    // evaluated attempts are audited as login_failed (and the one that locks as lockout)
    expect((counts['auth.login_failed'] ?? 0) + (counts['auth.lockout'] ?? 0)).toBe(5)
    expect(counts['auth.lockout']).toBe(1)
    expect(counts['auth.login_refused_locked']).toBe(25)
    const [row] = await t.deps.db.select().from(users).where(eq(users.id, user.id))
    expect(row!.failedLogins).toBe(5)
    expect(row!.lockedUntil!.getTime()).toBeGreaterThan(Date.now() + 14 * 60_000)
    // the right password now is refused too, and refused without a session
    const right = await post(user.username, PASSWORD)
    expect(right.status).toBe(401)
    expect(right.headers.getSetCookie().some((c) => c.startsWith('clawback_session='))).toBe(false)
  })

  it('hardening 5: the sign-in that reaches the limit with the right password still gets in', async () => {
    const { user } = await makeUser(t.deps.db, ['Analysts'])
    const post = await loginForm()
    for (let i = 0; i < 4; i++) expect((await post(user.username, 'wrong password!!')).status).toBe(401)
    expect((await post(user.username, PASSWORD)).status).toBe(303)
    const [row] = await t.deps.db.select().from(users).where(eq(users.id, user.id))
    expect(row).toMatchObject({ failedLogins: 0, lockedUntil: null })
  })

  it('hardening 6: a locked account answers exactly like an unknown user, and the refusal is audited', async () => {
    const { user } = await makeUser(t.deps.db, ['Analysts'])
    const post = await loginForm()
    for (let i = 0; i < 5; i++) await post(user.username, 'wrong password!!')
    // the same username text in both, so the re-rendered forms can be compared byte for byte
    const ghost = `g${user.username.slice(1)}`
    const locked = await post(user.username, PASSWORD)
    const unknown = await post(ghost, PASSWORD)
    expect(locked.status).toBe(401)
    expect(unknown.status).toBe(401)
    const normal = (body: string, name: string) =>
      body.replaceAll(name, 'NAME').replace(/name="_csrf" value="[^"]+"/, 'name="_csrf" value="X"')
    expect(normal(await locked.text(), user.username)).toBe(normal(await unknown.text(), ghost))
    const counts = await auditCount(user.id)
    expect(counts['auth.lockout']).toBe(1)
    expect(counts['auth.login_refused_locked']).toBe(1)
  })
})

/** Signs in a user who must change the password; answers the cookie and the page's CSRF token. */
const mustChangeSession = async () => {
  const username = `pw${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`
  await createUser(t.deps.db, SYSTEM, { username, password: PASSWORD, teams: ['Admins'], mustChangePassword: true })
  const res = await (await loginForm())(username, PASSWORD)
  expect(res.status).toBe(303)
  expect(res.headers.get('location')).toBe('/account/password')
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith('clawback_session='))!
  const form = await t.api.request('/account/password', { headers: { cookie } })
  expect(form.status).toBe(200)
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!
  return { username, cookie, csrf }
}

describe('issue 13: forced password change', () => {
  it('hardening 4: until the password is changed, every page, console page and API call is refused', async () => {
    const s = await mustChangeSession()
    const headers = { cookie: s.cookie }
    for (const path of ['/', '/incidents', '/investigations', '/admin/audit', '/admin/api-keys', '/dashboard']) {
      const res = await t.api.request(path, { headers })
      expect(res.status, path).toBe(303)
      expect(res.headers.get('location'), path).toBe('/account/password')
    }
    for (const path of ['/', '/backups', '/system']) {
      const res = await t.console.request(path, { headers })
      expect(res.status, `console ${path}`).toBe(303)
      expect(res.headers.get('location'), `console ${path}`).toBe('/account/password')
    }
    // an htmx fragment request is sent to the page as a whole (not swapped into the fragment)
    const frag = await t.api.request('/incidents/counts', { headers: { ...headers, 'hx-request': 'true' } })
    expect(frag.headers.get('hx-redirect')).toBe('/account/password')
    // a form post does nothing and goes to the password page too
    const post = await t.api.request('/admin/teams', {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: s.csrf, name: 'made-before-change', permissions: 'incidents.read' }),
    })
    expect(post.status).toBe(303)
    expect(post.headers.get('location')).toBe('/account/password')
    for (const [method, path] of [
      ['GET', '/api/v1/me'],
      ['GET', '/api/v1/incidents'],
      ['GET', '/api/v1/audit'],
      ['POST', '/api/v1/teams'],
    ] as const) {
      const res = await t.api.request(path, {
        method,
        headers: { ...headers, 'content-type': 'application/json', 'x-csrf-token': s.csrf },
        body: method === 'POST' ? JSON.stringify({ name: 'made-before-change-api', permissions: [] }) : undefined,
      })
      expect(res.status, path).toBe(403)
      expect(await res.json(), path).toMatchObject({ error: { code: 'PASSWORD_CHANGE_REQUIRED' } })
    }
    const names = (await t.deps.db.select({ name: teams.name }).from(teams)).map((r) => r.name)
    expect(names).not.toContain('made-before-change')
    expect(names).not.toContain('made-before-change-api')

    // the change itself is allowed, and afterwards everything works
    const changed = await t.api.request('/account/password', {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        _csrf: s.csrf,
        current: PASSWORD,
        password: 'a brand new long password',
        confirm: 'a brand new long password',
      }),
    })
    expect(changed.status).toBe(303)
    expect((await t.api.request('/incidents', { headers })).status).toBe(200)
    expect((await t.api.request('/api/v1/me', { headers })).status).toBe(200)
    expect((await t.console.request('/backups', { headers })).status).toBe(200)
  })

  it('hardening 4: a session that must change its password can still sign out', async () => {
    const s = await mustChangeSession()
    const out = await t.api.request('/logout', {
      method: 'POST',
      headers: { cookie: s.cookie, 'x-csrf-token': s.csrf },
    })
    expect(out.status).toBe(303)
    expect(out.headers.get('location')).toBe('/login')
    expect((await t.api.request('/account/password', { headers: { cookie: s.cookie } })).status).toBe(303)
    expect((await t.api.request('/api/v1/me', { headers: { cookie: s.cookie } })).status).toBe(401)
  })
})

describe('issue 13: audit views', () => {
  it("hardening 1: the audit log shows records about a private team's incidents and investigations only to its members", async () => {
    const { db } = t.deps
    const secret = await makeTeam(db, { isPrivate: true })
    const { actor: member } = await makeUser(db, [secret.name])
    const [inc] = await db
      .insert(incidents)
      .values({ summary: 'x', isPrivate: true, teamId: secret.id })
      .returning({ id: incidents.id })
    const incidentId = inc!.id
    // real actions by a member, each leaving private details in its audit record
    await closeIncidents(db, member, [incidentId], { summary: 'close-secret-summary' })
    await addAttachment(
      db,
      member,
      { incidentId },
      { filename: 'attach-secret.txt', bytes: new TextEncoder().encode('x') },
      { dataDir: t.dataDir, maxBytes: 1000 },
    )
    const inv = await createInvestigation(db, member, { name: 'inv-secret-name', teamId: secret.id, isPrivate: true })
    const gone = await createInvestigation(db, member, {
      name: 'inv-deleted-secret',
      teamId: secret.id,
      isPrivate: true,
    })
    await deleteInvestigation(db, member, gone.id)
    const open = await createInvestigation(db, member, { name: 'public-inv' })
    await linkIncident(db, member, open.id, incidentId)
    const markers = ['close-secret-summary', 'attach-secret.txt', 'inv-secret-name', 'inv-deleted-secret']

    const adminKey = await makeApiKey(db, ['Admins'])
    const memberKey = await makeApiKey(db, [secret.name])
    const records = async (key: string) =>
      ((await (await api('/api/v1/audit?limit=1000', key)).json()) as { data: AuditRecord[] }).data
    const admin = await records(adminKey)
    const text = JSON.stringify(admin)
    for (const m of markers) expect(text, m).not.toContain(m)
    const about = (r: AuditRecord, type: string, id: number) => r.objectType === type && r.objectId === String(id)
    expect(admin.filter((r) => about(r, 'incident', incidentId))).toEqual([])
    expect(admin.filter((r) => about(r, 'investigation', inv.id) || about(r, 'investigation', gone.id))).toEqual([])
    // the public investigation's link record names the private incident: hidden as well
    expect(admin.filter((r) => r.action === 'investigation.link')).toEqual([])
    expect(admin.some((r) => about(r, 'investigation', open.id))).toBe(true) // its creation is public
    const page = await (await t.api.request('/admin/audit', { headers: { authorization: adminKey } })).text()
    for (const m of markers) expect(page, m).not.toContain(m)
    // asking by object does not get round it
    const direct = await api(`/api/v1/audit?objectType=incident&objectId=${incidentId}`, adminKey)
    expect(((await direct.json()) as { data: unknown[] }).data).toEqual([])

    const mine = JSON.stringify(await records(memberKey))
    for (const m of markers) expect(mine, m).toContain(m)
    const memberPage = await (await t.api.request('/admin/audit', { headers: { authorization: memberKey } })).text()
    expect(memberPage).toContain('close-secret-summary')
    // the chain and its verification stay complete
    const verify = (await (await api('/api/v1/audit/verify', adminKey)).json()) as {
      data: { ok: boolean; records: number }
    }
    const [{ n }] = (await db.execute(sql`SELECT count(*)::int AS n FROM audit_log`)) as unknown as [{ n: number }]
    expect(verify.data).toEqual({ ok: true, records: n })
  })
})

describe('issue 13: leaks of existence', () => {
  it("hardening 6: a public investigation's incidentCount and timeline do not reveal private incidents", async () => {
    const { db } = t.deps
    const secret = await makeTeam(db, { isPrivate: true })
    const { actor: member } = await makeUser(db, [secret.name])
    const rows = await db
      .insert(incidents)
      .values([{ summary: 'hidden', isPrivate: true, teamId: secret.id }, { summary: 'shown' }])
      .returning({ id: incidents.id })
    const [hidden, shown] = [rows[0]!.id, rows[1]!.id]
    const inv = await createInvestigation(db, member, { name: `public-${hidden}` })
    await linkIncident(db, member, inv.id, hidden)
    await linkIncident(db, member, inv.id, shown)

    type Detail = { data: { incidents: { id: number }[]; history: { incidentId: number | null }[] } }
    type Page = { items: { id: number; incidentCount: number }[] }
    const outsider = await makeApiKey(db, ['Admins'])
    const insider = await makeApiKey(db, [secret.name])
    const count = async (key: string) =>
      ((await (await api('/api/v1/investigations?limit=500', key)).json()) as Page).items.find((i) => i.id === inv.id)!
        .incidentCount
    const detail = async (key: string) =>
      ((await (await api(`/api/v1/investigations/${inv.id}`, key)).json()) as Detail).data
    expect(await count(outsider)).toBe(1)
    expect(await count(insider)).toBe(2)
    const seen = await detail(outsider)
    expect(seen.incidents.map((i) => i.id)).toEqual([shown])
    expect(seen.history.map((h) => h.incidentId)).not.toContain(hidden)
    expect(seen.history.map((h) => h.incidentId)).toContain(shown)
    expect((await detail(insider)).history.map((h) => h.incidentId)).toContain(hidden)
    // the page shows the same: no private incident's id in the timeline or the count
    const page = await (
      await t.api.request(`/investigations/${inv.id}`, { headers: { authorization: outsider } })
    ).text()
    expect(page).not.toMatch(new RegExp(`/incidents/${hidden}\\b`))
    const list = await (await t.api.request('/investigations', { headers: { authorization: outsider } })).text()
    expect(list).toMatch(new RegExp(`public-${hidden}</a>.*?<td class="right">1</td>`, 's'))
  })

  it("hardening 6: GET /api/v1/teams lists a private team's members only to members and teams.manage", async () => {
    const { db } = t.deps
    const secret = await makeTeam(db, { isPrivate: true, permissions: ['incidents.read'] })
    const open = await makeTeam(db, { permissions: ['incidents.read'] })
    const { user } = await makeUser(db, [secret.name, open.name])
    const members = async (key: string, name: string) =>
      ((await (await api('/api/v1/teams', key)).json()) as { data: { name: string; members?: string[] }[] }).data.find(
        (x) => x.name === name,
      )!.members
    const analyst = await makeApiKey(db, ['Analysts'])
    expect(await members(analyst, secret.name)).toEqual([])
    expect(await members(analyst, open.name)).toEqual([user.username])
    expect(await members(await makeApiKey(db, [secret.name]), secret.name)).toEqual([user.username])
    expect(await members(await makeApiKey(db, ['Admins']), secret.name)).toEqual([user.username])
  })
})
