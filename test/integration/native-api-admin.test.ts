import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { auditLog, incidentHistory, incidents, sources } from '../../core/src/db/schema/index.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { makeApiKey, makeTeam, makeUser } from '../harness/factories.ts'
import { alertBody, makeJsonSource } from '../harness/intake.ts'

/**
 * The native operations that close the gap with the web UI: deleting sources, lists and
 * investigations; managing custom incident fields, teams, users' teams and disabling users.
 * Each: success, a 4xx naming the field, 404 (unknown or private to others), 403 without the
 * permission, and its audit record.
 */
let t: TestApp
let admin: string
let analyst: string
let readOnly: string
beforeAll(async () => {
  t = await startTestApp()
  admin = await makeApiKey(t.deps.db, ['Admins'])
  analyst = await makeApiKey(t.deps.db, ['Analysts'])
  const viewers = await makeTeam(t.deps.db, {
    permissions: ['incidents.read', 'investigations.read', 'lists.read', 'sources.read'],
  })
  readOnly = await makeApiKey(t.deps.db, [viewers.name])
})
afterAll(() => t.close())

const req = async (key: string, path: string, method = 'GET', body?: unknown) => {
  const res = await t.api.request(path, {
    method,
    headers: { authorization: key, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return {
    status: res.status,
    body: (await res.json()) as { data?: Record<string, unknown>; error?: { message: string } },
  }
}

const audited = async (action: string, objectId: number | string) =>
  t.deps.db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.action, action), eq(auditLog.objectId, String(objectId))))

describe('DELETE /api/v1/sources/:id', () => {
  it('deletes a source without alerts, audited; its URL stops working', async () => {
    const src = await makeJsonSource(t)
    expect(await req(readOnly, `/api/v1/sources/${src.source.id}`, 'DELETE')).toMatchObject({ status: 403 })
    const res = await req(admin, `/api/v1/sources/${src.source.id}`, 'DELETE')
    expect(res).toEqual({ status: 200, body: { data: { id: src.source.id, deleted: true } } })
    expect((await req(admin, `/api/v1/sources/${src.source.id}`)).status).toBe(404)
    expect((await src.post(alertBody())).status).toBe(404)
    const [entry] = await audited('source.delete', src.source.id)
    expect(entry?.before).toMatchObject({ name: src.source.name, type: 'json' })
    expect((await req(admin, `/api/v1/sources/${src.source.id}`, 'DELETE')).status).toBe(404)
  })

  it('refuses a source that has alerts (409: disable it instead) and keeps source and alerts', async () => {
    const src = await makeJsonSource(t)
    expect((await src.post(alertBody())).status).toBe(200)
    const res = await req(admin, `/api/v1/sources/${src.source.id}`, 'DELETE')
    expect(res.status).toBe(409)
    expect(res.body.error?.message).toMatch(/disable it instead/)
    expect(await t.deps.db.select().from(sources).where(eq(sources.id, src.source.id))).toHaveLength(1)
    expect(await audited('source.delete', src.source.id)).toHaveLength(0)
  })
})

describe('DELETE /api/v1/lists/:id', () => {
  it('deletes a list and its members, keeps the members in the audit record; the feed answers 404', async () => {
    const made = await req(admin, '/api/v1/lists', 'POST', { name: 'Blocked senders', type: 'email' })
    const list = made.body.data as { id: number; feedUrl: string }
    expect((await req(admin, `/api/v1/lists/${list.id}/members`, 'POST', { member: 'bad@evil.example' })).status).toBe(
      201,
    )
    expect(await req(readOnly, `/api/v1/lists/${list.id}`, 'DELETE')).toMatchObject({ status: 403 })
    expect(await req(analyst, `/api/v1/lists/${list.id}`, 'DELETE')).toEqual({
      status: 200,
      body: { data: { id: list.id, deleted: true } },
    })
    expect((await req(admin, `/api/v1/lists/${list.id}`)).status).toBe(404)
    expect((await t.api.request(new URL(list.feedUrl).pathname)).status).toBe(404)
    const [entry] = await audited('list.delete', list.id)
    expect(entry?.before).toMatchObject({ name: 'Blocked senders', memberCount: 1, members: ['bad@evil.example'] })
    expect((await req(admin, '/api/v1/lists/999999', 'DELETE')).status).toBe(404)
  })
})

describe('DELETE /api/v1/investigations/:id', () => {
  it('deletes an investigation without evidence, unlinking its incidents (their history says so), audited', async () => {
    const src = await makeJsonSource(t)
    const incidentId = ((await (await src.post(alertBody())).json()) as { incident_id: number }).incident_id
    const inv = (await req(analyst, '/api/v1/investigations', 'POST', { name: 'Mistake' })).body.data as { id: number }
    await req(analyst, `/api/v1/investigations/${inv.id}/incidents`, 'POST', { incidentId })
    expect(await req(readOnly, `/api/v1/investigations/${inv.id}`, 'DELETE')).toMatchObject({ status: 403 })
    expect(await req(analyst, `/api/v1/investigations/${inv.id}`, 'DELETE')).toEqual({
      status: 200,
      body: { data: { id: inv.id, deleted: true } },
    })
    expect((await req(analyst, `/api/v1/investigations/${inv.id}`)).status).toBe(404)
    expect(await t.deps.db.select().from(incidents).where(eq(incidents.id, incidentId))).toHaveLength(1)
    const hist = await t.deps.db.select().from(incidentHistory).where(eq(incidentHistory.incidentId, incidentId))
    expect(hist.map((h) => h.summary)).toContain(`investigation ${inv.id} (Mistake) deleted`)
    const [entry] = await audited('investigation.delete', inv.id)
    expect(entry?.before).toMatchObject({ name: 'Mistake', incidentIds: [incidentId] })
  })

  it('refuses an investigation holding comments (409: close it instead)', async () => {
    const inv = (await req(analyst, '/api/v1/investigations', 'POST', { name: 'Evidence' })).body.data as { id: number }
    await req(analyst, `/api/v1/investigations/${inv.id}/comments`, 'POST', { summary: 'found the sender' })
    const res = await req(admin, `/api/v1/investigations/${inv.id}`, 'DELETE')
    expect(res.status).toBe(409)
    expect(res.body.error?.message).toMatch(/close it instead/)
    expect((await req(admin, `/api/v1/investigations/${inv.id}`)).status).toBe(200)
  })

  it('answers 404 to an admin outside the private team, and lets a member delete', async () => {
    const secret = await makeTeam(t.deps.db, { isPrivate: true })
    const member = await makeApiKey(t.deps.db, [secret.name])
    const inv = (
      await req(member, '/api/v1/investigations', 'POST', { name: 'Quiet', teamId: secret.id, isPrivate: true })
    ).body.data as { id: number }
    const hidden = await req(admin, `/api/v1/investigations/${inv.id}`, 'DELETE')
    expect(hidden.status).toBe(404)
    expect(JSON.stringify(hidden.body)).not.toContain('Quiet')
    expect((await req(member, `/api/v1/investigations/${inv.id}`, 'DELETE')).status).toBe(200)
  })
})

describe('custom incident fields', () => {
  it('creates, renames, re-options and deletes a field, each audited', async () => {
    const made = await req(admin, '/api/v1/incident-fields', 'POST', { name: 'Ticket', kind: 'select', options: ['a'] })
    expect(made.status).toBe(201)
    const id = (made.body.data as { id: number }).id
    const upd = await req(admin, `/api/v1/incident-fields/${id}`, 'PATCH', { name: 'Ticket no', options: ['a', 'b'] })
    expect(upd.status).toBe(200)
    expect(upd.body.data).toMatchObject({ id, name: 'Ticket no', options: ['a', 'b'] })
    expect((await audited('field.update', id))[0]?.after).toEqual({ name: 'Ticket no', options: ['a', 'b'] })
    expect(await req(admin, `/api/v1/incident-fields/${id}`, 'DELETE')).toEqual({
      status: 200,
      body: { data: { id, deleted: true } },
    })
    expect((await audited('field.delete', id))[0]?.before).toMatchObject({ name: 'Ticket no' })
    const list = (await req(admin, '/api/v1/incident-fields')).body.data as unknown as { id: number }[]
    expect(list.map((f) => f.id)).not.toContain(id)
  })

  it('names the field on bad input, refuses built-ins, 404 for unknown, 403 without fields.manage', async () => {
    const id = (
      (await req(admin, '/api/v1/incident-fields', 'POST', { name: 'Due', kind: 'date' })).body.data as {
        id: number
      }
    ).id
    expect((await req(admin, `/api/v1/incident-fields/${id}`, 'PATCH', { name: '' })).body.error?.message).toMatch(
      /^name: /,
    )
    const badOptions = await req(admin, `/api/v1/incident-fields/${id}`, 'PATCH', { options: 'x' })
    expect(badOptions.status).toBe(400)
    expect(badOptions.body.error?.message).toMatch(/^options: /)
    expect(
      (await req(admin, '/api/v1/incident-fields', 'POST', { name: 'X', kind: 'colour' })).body.error?.message,
    ).toMatch(/^kind: /)
    const builtin = (
      (await req(admin, '/api/v1/incident-fields')).body.data as unknown as { id: number; isBuiltin: boolean }[]
    ).find((f) => f.isBuiltin)!
    const refused = await req(admin, `/api/v1/incident-fields/${builtin.id}`, 'DELETE')
    expect(refused.status).toBe(400)
    expect(refused.body.error?.message).toMatch(/^field: built-in/)
    expect((await req(admin, '/api/v1/incident-fields/999999', 'PATCH', { name: 'y' })).status).toBe(404)
    expect((await req(admin, '/api/v1/incident-fields/999999', 'DELETE')).status).toBe(404)
    expect((await req(analyst, `/api/v1/incident-fields/${id}`, 'PATCH', { name: 'y' })).status).toBe(403)
    expect((await req(analyst, `/api/v1/incident-fields/${id}`, 'DELETE')).status).toBe(403)
  })
})

describe('teams and users', () => {
  it('PUT /api/v1/teams/:id replaces description, private flag and permissions (audited); names bad fields', async () => {
    const team = await makeTeam(t.deps.db, { permissions: ['incidents.read'] })
    const body = { description: 'night shift', isPrivate: true, permissions: ['incidents.read', 'lists.read'] }
    const res = await req(admin, `/api/v1/teams/${team.id}`, 'PUT', body)
    expect(res.status).toBe(200)
    expect(res.body.data).toMatchObject(body)
    expect((await audited('team.update', team.id))[0]?.after).toMatchObject(body)
    expect(
      (await req(admin, `/api/v1/teams/${team.id}`, 'PUT', { ...body, isPrivate: 'yes' })).body.error?.message,
    ).toMatch(/^isPrivate: /)
    expect(
      (await req(admin, `/api/v1/teams/${team.id}`, 'PUT', { ...body, permissions: ['root'] })).body.error?.message,
    ).toMatch(/^permissions: unknown permission root/)
    expect((await req(admin, '/api/v1/teams/999999', 'PUT', body)).status).toBe(404)
    expect((await req(analyst, `/api/v1/teams/${team.id}`, 'PUT', body)).status).toBe(403)
  })

  it('PATCH /api/v1/users/:id disables and enables a user (audited); PUT /users/:id/teams sets their teams', async () => {
    const { user } = await makeUser(t.deps.db, ['Analysts'])
    const off = await req(admin, `/api/v1/users/${user.id}`, 'PATCH', { isDisabled: true })
    expect(off).toEqual({ status: 200, body: { data: { id: user.id, username: user.username, isDisabled: true } } })
    expect(await audited('user.disable', user.id)).toHaveLength(1)
    expect((await req(admin, `/api/v1/users/${user.id}`, 'PATCH', { isDisabled: false })).body.data).toMatchObject({
      isDisabled: false,
    })
    expect(await audited('user.enable', user.id)).toHaveLength(1)
    expect((await req(admin, `/api/v1/users/${user.id}`, 'PATCH', { isDisabled: 'no' })).body.error?.message).toMatch(
      /^isDisabled: /,
    )
    expect((await req(admin, '/api/v1/users/999999', 'PATCH', { isDisabled: true })).status).toBe(404)
    expect((await req(analyst, `/api/v1/users/${user.id}`, 'PATCH', { isDisabled: true })).status).toBe(403)

    const team = await makeTeam(t.deps.db, { permissions: ['incidents.read'] })
    const set = await req(admin, `/api/v1/users/${user.id}/teams`, 'PUT', { teamIds: [team.id] })
    expect(set).toEqual({ status: 200, body: { data: { added: [team.name], removed: ['Analysts'] } } })
    expect((await audited('team.member_add', team.id))[0]?.after).toEqual({ team: team.name, user: user.username })
    const analysts = ((await req(admin, '/api/v1/teams')).body.data as unknown as { id: number; name: string }[]).find(
      (x) => x.name === 'Analysts',
    )!
    expect((await audited('team.member_remove', analysts.id)).map((a) => a.before)).toContainEqual({
      team: 'Analysts',
      user: user.username,
    })
    const users = (await req(admin, '/api/v1/users')).body.data as unknown as { id: number; teams: string[] }[]
    expect(users.find((u) => u.id === user.id)?.teams).toEqual([team.name])
    expect((await req(admin, `/api/v1/users/${user.id}/teams`, 'PUT', { teamIds: ['x'] })).body.error?.message).toMatch(
      /^teamIds\.0: /,
    )
    expect(
      (await req(admin, `/api/v1/users/${user.id}/teams`, 'PUT', { teamIds: [999999] })).body.error?.message,
    ).toMatch(/^teams: unknown team/)
    expect((await req(admin, '/api/v1/users/999999/teams', 'PUT', { teamIds: [] })).status).toBe(404)
    expect((await req(analyst, `/api/v1/users/${user.id}/teams`, 'PUT', { teamIds: [] })).status).toBe(403)
  })
})
