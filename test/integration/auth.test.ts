import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { auditLog, users } from '../../core/src/db/schema/index.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { makeApiKey, makeUser, PASSWORD, signInAs } from '../harness/factories.ts'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ CLAWBACK_LOCKOUT_ATTEMPTS: '3', CLAWBACK_LOCKOUT_MINUTES: '15' })
})
afterAll(() => t.close())

const auditActions = async (userId: number) =>
  (
    await t.deps.db
      .select({ action: auditLog.action })
      .from(auditLog)
      .where(and(eq(auditLog.objectType, 'user'), eq(auditLog.objectId, String(userId))))
  ).map((r) => r.action)

describe('web sessions', () => {
  it('signs in through the form with an HttpOnly SameSite cookie, and signs out server-side', async () => {
    const { user } = await makeUser(t.deps.db, ['Analysts'])
    const page = await t.api.request('/login')
    expect(page.status).toBe(200)
    const s = await signInAs(t.api, user.username)
    expect(s.status).toBe(303)
    const me = await t.api.request('/api/v1/me', { headers: { cookie: s.cookie } })
    expect(await me.json()).toMatchObject({ kind: 'user', label: user.username })

    const out = await t.api.request('/logout', {
      method: 'POST',
      headers: { cookie: s.cookie, 'x-csrf-token': s.csrf },
    })
    expect(out.status).toBe(303)
    expect((await t.api.request('/api/v1/me', { headers: { cookie: s.cookie } })).status).toBe(401)
    expect(await auditActions(user.id)).toEqual(expect.arrayContaining(['auth.login', 'auth.logout']))
  })

  it('sets HttpOnly, SameSite and (under TLS) Secure on the session cookie', async () => {
    const { user } = await makeUser(t.deps.db, ['Analysts'])
    const page = await t.api.request('/login')
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!
    const pre = page.headers.get('set-cookie')!.split(';')[0]!
    const res = await t.api.request('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: pre },
      body: new URLSearchParams({ username: user.username, password: PASSWORD, _csrf: csrf }),
    })
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('clawback_session='))!
    expect(cookie).toMatch(/HttpOnly/i)
    expect(cookie).toMatch(/SameSite=Lax/i)
    const tls = await startTestApp({ CLAWBACK_TLS: 'true' })
    try {
      const { user: u2 } = await makeUser(tls.deps.db, ['Analysts'])
      const p2 = await tls.api.request('/login')
      const c2 = /name="_csrf" value="([^"]+)"/.exec(await p2.text())![1]!
      const r2 = await tls.api.request('/login', {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          cookie: p2.headers.get('set-cookie')!.split(';')[0]!,
        },
        body: new URLSearchParams({ username: u2.username, password: PASSWORD, _csrf: c2 }),
      })
      const secure = r2.headers.getSetCookie().find((c) => c.startsWith('__Host-clawback_session='))!
      expect(secure).toMatch(/Secure/)
    } finally {
      await tls.close()
    }
  })

  it('rejects a sign-in form posted without the CSRF pair', async () => {
    const { user } = await makeUser(t.deps.db, ['Analysts'])
    const res = await t.api.request('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: user.username, password: PASSWORD, _csrf: 'forged' }),
    })
    expect(res.status).toBe(403)
    expect(res.headers.getSetCookie().some((c) => c.startsWith('clawback_session='))).toBe(false)
  })

  it('rejects a cookie-authenticated write without a valid CSRF token', async () => {
    const { user } = await makeUser(t.deps.db, ['Admins'])
    const s = await signInAs(t.api, user.username)
    const body = JSON.stringify({ name: 'csrf-team', permissions: [] })
    const noToken = await t.api.request('/api/v1/teams', {
      method: 'POST',
      headers: { cookie: s.cookie, 'content-type': 'application/json' },
      body,
    })
    expect(noToken.status).toBe(403)
    expect(await noToken.json()).toMatchObject({ error: { code: 'CSRF' } })
    const wrong = await t.api.request('/api/v1/teams', {
      method: 'POST',
      headers: { cookie: s.cookie, 'content-type': 'application/json', 'x-csrf-token': 'nope' },
      body,
    })
    expect(wrong.status).toBe(403)
    const ok = await t.api.request('/api/v1/teams', {
      method: 'POST',
      headers: { cookie: s.cookie, 'content-type': 'application/json', 'x-csrf-token': s.csrf },
      body,
    })
    expect(ok.status).toBe(201)
  })

  it('locks an account after repeated failures, even against the right password, and audits it', async () => {
    const { user } = await makeUser(t.deps.db, ['Analysts'])
    for (let i = 0; i < 3; i++) {
      await expect(signInAs(t.api, user.username, 'wrong password!!')).rejects.toThrow(/sign-in failed: 401/)
    }
    // locked: the same answer as a wrong password (hardening-auth.test.ts compares them byte for byte)
    await expect(signInAs(t.api, user.username)).rejects.toThrow(/sign-in failed: 401/)
    const [row] = await t.deps.db.select().from(users).where(eq(users.id, user.id))
    expect(row!.lockedUntil!.getTime()).toBeGreaterThan(Date.now() + 14 * 60_000)
    expect(await auditActions(user.id)).toEqual(
      expect.arrayContaining(['auth.login_failed', 'auth.lockout', 'auth.login_refused_locked']),
    )
  })

  it('gives the same answer for an unknown user as for a wrong password', async () => {
    await expect(signInAs(t.api, 'nobody-here', 'whatever password')).rejects.toThrow(
      /401.*wrong username or password/s,
    )
  })

  it('sends unauthenticated page requests to the sign-in page and API requests a 401', async () => {
    const page = await t.api.request('/')
    expect(page.status).toBe(303)
    expect(page.headers.get('location')).toBe('/login?next=%2F')
    const api = await t.api.request('/api/v1/me')
    expect(api.status).toBe(401)
  })
})

describe('API keys', () => {
  it('are accepted raw and as Bearer, act with their teams, and stop working when revoked', async () => {
    const key = await makeApiKey(t.deps.db, ['Analysts'])
    for (const header of [key, `Bearer ${key}`, `bearer ${key}`]) {
      const res = await t.api.request('/api/v1/me', { headers: { authorization: header } })
      expect(res.status).toBe(200)
      expect(((await res.json()) as { permissions: string[] }).permissions).toContain('incidents.read')
    }
    // Analysts may not manage users.
    expect((await t.api.request('/api/v1/users', { headers: { authorization: key } })).status).toBe(403)
    const admin = await makeApiKey(t.deps.db, ['Admins'])
    const list = (await (await t.api.request('/api/v1/api-keys', { headers: { authorization: admin } })).json()) as {
      data: { id: number; prefix: string }[]
    }
    expect(JSON.stringify(list)).not.toContain(key)
    const target = list.data.find((k) => k.prefix === key.slice(0, 8))!
    const revoke = await t.api.request(`/api/v1/api-keys/${target.id}`, {
      method: 'DELETE',
      headers: { authorization: admin },
    })
    expect(revoke.status).toBe(200)
    expect((await t.api.request('/api/v1/me', { headers: { authorization: key } })).status).toBe(401)
  })

  it('answers 401 for an unknown key', async () => {
    const res = await t.api.request('/api/v1/me', {
      headers: { authorization: '00000000-0000-4000-8000-000000000000' },
    })
    expect(res.status).toBe(401)
  })

  it('shows a new key once through the API', async () => {
    const admin = await makeApiKey(t.deps.db, ['Admins', 'Analysts'])
    const res = await t.api.request('/api/v1/api-keys', {
      method: 'POST',
      headers: { authorization: admin, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'siem', teams: ['Analysts'] }),
    })
    expect(res.status).toBe(201)
    const { data } = (await res.json()) as { data: { key: string } }
    expect(data.key).toMatch(/^[0-9a-f-]{36}$/)
    expect((await t.api.request('/api/v1/me', { headers: { authorization: data.key } })).status).toBe(200)
  })
})
