import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiKey } from '../../core/src/domain/api-keys/create-api-key.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { makeApiKey, makeTeam, makeUser } from '../harness/factories.ts'

/** Issue 13, items 1–6 (authorization and sessions): each test names the item it keeps fixed. */
let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ CLAWBACK_LOCKOUT_ATTEMPTS: '5', CLAWBACK_LOCKOUT_MINUTES: '15' })
})
afterAll(() => t.close())

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
