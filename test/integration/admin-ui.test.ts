import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { auditLog, incidentFields, teamMembers, users } from '../../core/src/db/schema/index.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { makeTeam, makeUser, PASSWORD, signInAs } from '../harness/factories.ts'

let t: TestApp
let admin: { cookie: string; csrf: string }
let adminId: number
beforeAll(async () => {
  t = await startTestApp()
  const a = await makeUser(t.deps.db, ['Admins'])
  adminId = a.user.id
  admin = await signInAs(t.api, a.user.username)
})
afterAll(() => t.close())

const get = (path: string, s = admin, headers: Record<string, string> = {}) =>
  t.api.request(path, { headers: { cookie: s.cookie, ...headers } })
const post = (
  path: string,
  form: Record<string, string | string[]>,
  s = admin,
  headers: Record<string, string> = {},
) => {
  const body = new URLSearchParams()
  for (const [k, v] of Object.entries(form)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x)
  body.append('_csrf', s.csrf)
  return t.api.request(path, {
    method: 'POST',
    headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  })
}
const actions = async (action: string) =>
  (await t.deps.db.select().from(auditLog).where(eq(auditLog.action, action))).length

describe('administration pages', () => {
  it('lists users and creates one; a bad form comes back 422 with the values kept and the error shown', async () => {
    const list = await get('/admin/users')
    expect(list.status).toBe(200)
    expect(list.headers.get('vary')).toContain('HX-Request')
    expect(list.headers.get('content-security-policy')).toContain("script-src 'self'")

    const bad = await post('/admin/users', {
      username: 'new.analyst',
      displayName: 'Nina <b>Analyst</b>',
      password: 'short',
      teams: 'Analysts',
    })
    expect(bad.status).toBe(422)
    const text = await bad.text()
    expect(text).toContain('value="new.analyst"')
    expect(text).toContain('Nina &lt;b&gt;Analyst&lt;/b&gt;')
    expect(text).toContain('must be at least 12 characters')
    expect(text).not.toContain('short"') // the password is never echoed

    const ok = await post('/admin/users', {
      username: 'new.analyst',
      password: 'a long enough password',
      teams: 'Analysts',
    })
    expect(ok.status).toBe(303)
    expect(ok.headers.get('location')).toMatch(/^\/admin\/users\/\d+$/)
    const htmx = await post('/admin/users', { username: 'other.analyst', password: 'a long enough password' }, admin, {
      'HX-Request': 'true',
    })
    expect(htmx.status).toBe(204)
    expect(htmx.headers.get('hx-redirect')).toMatch(/^\/admin\/users\/\d+$/)
    const taken = await post('/admin/users', { username: 'NEW.analyst', password: 'a long enough password' })
    expect(taken.status).toBe(422)
    expect(await taken.text()).toContain('is taken')
  })

  it('disables a user (sessions end, sign-in refused), refuses disabling oneself, and resets a password', async () => {
    const { user } = await makeUser(t.deps.db, ['Analysts'])
    const victim = await signInAs(t.api, user.username)
    expect((await post(`/admin/users/${user.id}/disable`, { disabled: 'true' })).status).toBe(303)
    expect((await get('/api/v1/me', victim)).status).toBe(401)
    await expect(signInAs(t.api, user.username)).rejects.toThrow(/sign-in failed/)
    expect(await actions('user.disable')).toBe(1)

    const self = await post(`/admin/users/${adminId}/disable`, { disabled: 'true' })
    expect(self.status).toBe(422)
    expect(await self.text()).toContain('cannot disable your own account')

    expect((await post(`/admin/users/${user.id}/disable`, { disabled: 'false' })).status).toBe(303)
    expect((await post(`/admin/users/${user.id}/password`, { password: 'brand new password 1' })).status).toBe(303)
    await expect(signInAs(t.api, user.username, PASSWORD)).rejects.toThrow()
    expect((await signInAs(t.api, user.username, 'brand new password 1')).status).toBe(303)
  })

  it('sets memberships; an admin joining a private team is allowed and audited as such', async () => {
    const secret = await makeTeam(t.deps.db, { isPrivate: true, permissions: ['incidents.read'] })
    const [adminsTeam] = await t.deps.db
      .select({ teamId: teamMembers.teamId })
      .from(teamMembers)
      .where(eq(teamMembers.userId, adminId))
    const res = await post(`/admin/users/${adminId}/teams`, { teams: [String(adminsTeam!.teamId), String(secret.id)] })
    expect(res.status).toBe(303)
    expect(await actions('team.self_join_private')).toBe(1)
    // dropping one's own last teams.manage team is refused
    const lose = await post(`/admin/users/${adminId}/teams`, { teams: [String(secret.id)] })
    expect(lose.status).toBe(422)
    expect(await lose.text()).toContain('lose teams.manage')
  })

  it('creates and edits a team; the Admins team keeps its administration permissions', async () => {
    const res = await post('/admin/teams', {
      name: 'Red team',
      description: 'Offensive',
      isPrivate: 'on',
      permissions: ['incidents.read', 'incidents.write'],
    })
    expect(res.status).toBe(303)
    const id = res.headers.get('location')!.split('/').pop()!
    const page = await (await get(`/admin/teams/${id}`)).text()
    expect(page).toContain('Red team')
    expect(page).toContain('private')
    expect(
      (await post(`/admin/teams/${id}`, { description: 'Now shared', permissions: ['incidents.read'] })).status,
    ).toBe(303)
    expect(await (await get(`/admin/teams/${id}`)).text()).toContain('Now shared')
    const bad = await post('/admin/teams', { name: '', permissions: ['incidents.read'] })
    expect(bad.status).toBe(422)

    const adminsId = (
      await t.deps.db.select({ teamId: teamMembers.teamId }).from(teamMembers).where(eq(teamMembers.userId, adminId))
    )[0]!.teamId
    const strip = await post(`/admin/teams/${adminsId}`, { description: 'x', permissions: ['incidents.read'] })
    expect(strip.status).toBe(422)
    expect(await strip.text()).toContain('must keep')

    const add = await post(`/admin/teams/${id}/members`, { username: 'nobody-here', member: 'true' })
    expect(add.status).toBe(422)
  })

  it('shows a new API key exactly once, never cached, and revokes it', async () => {
    const res = await post('/admin/api-keys', { name: 'SIEM', teams: 'Admins' })
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const first = await res.text()
    expect(first).toContain('id="new-key"')
    const shown = /value="([0-9a-f-]{36})"/.exec(first)![1]!
    const html = await (await get('/admin/api-keys')).text()
    expect(html).toContain('SIEM')
    expect(html).not.toContain('id="new-key"')
    expect(html).not.toContain(shown)
    const raw = /value="([0-9a-f-]{36})"/.exec(
      await (await post('/admin/api-keys', { name: 'Second', teams: 'Admins' })).text(),
    )![1]!
    expect((await t.api.request('/api/v1/me', { headers: { authorization: raw } })).status).toBe(200)
    expect(await (await get('/admin/api-keys')).text()).not.toContain(raw)
    const keys = await (await t.api.request('/api/v1/api-keys', { headers: { cookie: admin.cookie } })).json()
    const second = (keys as { data: { id: number; name: string }[] }).data.find((k) => k.name === 'Second')!
    expect((await post(`/admin/api-keys/${second.id}/revoke`, {})).status).toBe(303)
    expect((await t.api.request('/api/v1/me', { headers: { authorization: raw } })).status).toBe(401)
    const noTeam = await post('/admin/api-keys', { name: 'Nothing' })
    expect(noTeam.status).toBe(422)
    expect(await noTeam.text()).toContain('at least one team')
  })

  it('manages custom incident fields; built-ins cannot be renamed or deleted', async () => {
    expect(
      (await post('/admin/fields', { name: 'Business unit', kind: 'select', options: 'Retail\nBanking\n\nRetail' }))
        .status,
    ).toBe(303)
    const [bu] = await t.deps.db.select().from(incidentFields).where(eq(incidentFields.name, 'Business unit'))
    expect(bu!.options).toEqual(['Retail', 'Banking'])
    const empty = await post('/admin/fields', { name: 'Empty select', kind: 'select', options: '' })
    expect(empty.status).toBe(422)
    expect(await empty.text()).toContain('needs at least one option')
    expect(
      (await post(`/admin/fields/${bu!.id}`, { name: 'Business line', options: 'Retail\nInsurance' })).status,
    ).toBe(303)
    const [builtin] = await t.deps.db.select().from(incidentFields).where(eq(incidentFields.name, 'Classification'))
    expect((await post(`/admin/fields/${builtin!.id}/delete`, {})).status).toBe(422)
    expect((await post(`/admin/fields/${builtin!.id}`, { name: 'Renamed' })).status).toBe(422)
    expect((await post(`/admin/fields/${bu!.id}/delete`, {})).status).toBe(303)
    expect(await actions('field.create')).toBe(1)
    expect(await actions('field.delete')).toBe(1)
  })

  it('filters the audit log, pages it by keyset and shows the chain status', async () => {
    const page = await (await get('/admin/audit?action=team.')).text()
    expect(page).toContain('team.create')
    expect(page).not.toContain('>user.create<')
    const verify = await (await get('/admin/audit/verify', admin, { 'HX-Request': 'true' })).text()
    expect(verify).toMatch(/Chain intact · \d+ records verified/)
    const rows = await t.deps.db.select().from(auditLog)
    const maxId = Math.max(...rows.map((r) => r.id))
    const older = await (await get(`/admin/audit?before=${maxId}`)).text()
    expect(older).not.toContain(`<td class="muted">${maxId}</td>`)
    expect(older).toContain(`<td class="muted">${maxId - 1}</td>`)
    const today = new Date().toISOString().slice(0, 10)
    expect(await (await get(`/admin/audit?from=2000-01-01&to=2000-01-02`)).text()).toContain('No records match')
    expect(await (await get(`/admin/audit?from=${today}&to=${today}&actor=nobody`)).text()).toContain(
      'No records match',
    )
  })
})

describe('access, errors and session expiry', () => {
  it('refuses administration to an analyst with a 403 page, and says nothing about what exists', async () => {
    const { user } = await makeUser(t.deps.db, ['Analysts'])
    const s = await signInAs(t.api, user.username)
    const res = await get('/admin/users', s)
    expect(res.status).toBe(403)
    expect(res.headers.get('content-type')).toContain('text/html')
    expect(await (await get('/admin', s)).text()).toContain('Not allowed')
    const dash = await get('/', s)
    expect(dash.status).toBe(200)
    expect(await dash.text()).not.toContain('href="/admin"')
    const missing = await get('/no/such/page', s)
    expect(missing.status).toBe(404)
    expect(await missing.text()).toContain('There is nothing here, or you do not have access to it.')
    expect((await get('/admin/users/999999')).status).toBe(404)
    expect((await get('/admin/users/abc')).status).toBe(404)
  })

  it('sends an expired session back to sign-in, with HX-Redirect for htmx requests', async () => {
    const gone = { cookie: 'clawback_session=expired-or-unknown', csrf: 'x' }
    const page = await get('/admin/users', gone)
    expect(page.status).toBe(303)
    expect(page.headers.get('location')).toBe('/login?next=%2Fadmin%2Fusers')
    const frag = await get('/admin/audit/verify', gone, { 'HX-Request': 'true' })
    expect(frag.status).toBe(204)
    expect(frag.headers.get('hx-redirect')).toBe('/login?next=%2Fadmin%2Faudit%2Fverify')
    const write = await post('/admin/users', { username: 'x' }, gone)
    expect(write.status).toBe(401)
    expect(await write.text()).toContain('Your session has ended')
    const hxWrite = await post('/admin/users', { username: 'x' }, gone, { 'HX-Request': 'true' })
    expect(hxWrite.headers.get('hx-redirect')).toBe('/login')
  })

  it('refuses a form without the CSRF token', async () => {
    const res = await t.api.request('/admin/teams', {
      method: 'POST',
      headers: { cookie: admin.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ name: 'csrf-less', permissions: 'incidents.read' }),
    })
    expect(res.status).toBe(403)
    expect(
      await t.deps.db
        .select()
        .from(users)
        .where(and(eq(users.username, 'csrf-less'))),
    ).toHaveLength(0)
  })
})
