import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { makeApiKey, makeTeam, makeUser } from '../harness/factories.ts'
import { alertBody, makeJsonSource } from '../harness/intake.ts'

/** Issue 13 item 12: PATCH /api/v1/incidents/{id} is one transaction — a refused step keeps nothing. */
let t: TestApp
let key: string
let src: Awaited<ReturnType<typeof makeJsonSource>>

beforeAll(async () => {
  t = await startTestApp()
  key = await makeApiKey(t.deps.db, ['Analysts'])
  src = await makeJsonSource(t)
})
afterAll(() => t.close())

const patch = (id: number, body: unknown) =>
  t.api.request(`/api/v1/incidents/${id}`, {
    method: 'PATCH',
    headers: { authorization: key, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })

/** Everything a PATCH step writes: the incident row, its field values, users, history and the audit log. */
const snapshot = async (id: number) =>
  (
    await t.deps.db.execute<{ s: string }>(sql`
      SELECT concat_ws(' | ',
        (SELECT concat_ws(',', description, team_id, assignee_id, state, severity, is_private, updated_at) FROM incidents WHERE id = ${id}),
        (SELECT string_agg(field_id || '=' || coalesce(value, 'null'), ',' ORDER BY field_id) FROM incident_field_values WHERE incident_id = ${id}),
        (SELECT string_agg(kind || ':' || username, ',' ORDER BY kind, username) FROM incident_users WHERE incident_id = ${id}),
        (SELECT count(*) FROM incident_history WHERE incident_id = ${id}),
        (SELECT count(*) FROM audit_log)) AS s`)
  )[0]!.s

const newIncident = async () => ((await (await src.post(alertBody())).json()) as { incident_id: number }).incident_id

describe('PATCH /api/v1/incidents/{id} is atomic (issue 13 item 12)', () => {
  it('a 400 from the last step (private without being in the team) keeps none of the earlier steps', async () => {
    const id = await newIncident()
    const other = await makeTeam(t.deps.db, { name: `other-${id}` })
    const before = await snapshot(id)
    const res = await patch(id, {
      fields: { Severity: 'High', Classification: 'Malware' },
      team: other.name,
      description: 'half-stored?',
      targets: ['victim'],
      isPrivate: true,
    })
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/^isPrivate:/)
    expect(await snapshot(id)).toBe(before)
  })

  it('a 404 for an unknown assignee keeps the fields set before it', async () => {
    const id = await newIncident()
    const before = await snapshot(id)
    const res = await patch(id, { fields: { Severity: 'Low' }, assignee: 'nobody-by-that-name' })
    expect(res.status).toBe(404)
    expect(await snapshot(id)).toBe(before)
  })

  it('a 400 for a blank target after assignment and description keeps nothing; a good PATCH keeps everything', async () => {
    const id = await newIncident()
    const { user } = await makeUser(t.deps.db, ['Analysts'])
    const before = await snapshot(id)
    const bad = await patch(id, {
      fields: { Severity: 'High' },
      team: 'Analysts',
      assignee: user.username,
      description: 'kept?',
      targets: ['   '],
    })
    expect(bad.status).toBe(400)
    expect(await snapshot(id)).toBe(before)

    const good = await patch(id, {
      team: 'Analysts',
      assignee: user.username,
      description: 'all of it',
      targets: ['jdoe'],
    })
    expect(good.status).toBe(200)
    const row = (
      await t.deps.db.execute<{ description: string; state: string; assignee_id: number }>(
        sql`SELECT description, state, assignee_id FROM incidents WHERE id = ${id}`,
      )
    )[0]!
    expect({ ...row, assignee_id: Number(row.assignee_id) }).toEqual({
      description: 'all of it',
      state: 'assigned',
      assignee_id: user.id,
    })
  })
})
