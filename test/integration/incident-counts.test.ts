import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Db } from '../../core/src/db/client.ts'
import { compactIncidentCounts } from '../../core/src/domain/incidents/compact-incident-counts.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { makeTeam, makeUser, signInAs } from '../harness/factories.ts'

/**
 * The incident list's state tabs (issue 13, item 18): counts maintained per state and visibility
 * scope by triggers, so the fragment polled every 20 s no longer counts every incident, and still
 * never counts a private incident for someone outside its team.
 */
let t: TestApp
let db: Db
beforeAll(async () => {
  t = await startTestApp()
  db = t.deps.db
})
afterAll(() => t.close())

/** What the maintained rows say, per scope and state, next to what a full count says. */
const maintainedVsFull = async () => {
  const maintained = await db.execute<{ scope: string; state: string; n: string }>(sql`
    SELECT scope::text, state::text, sum(n)::text AS n FROM incident_state_counts GROUP BY 1, 2 HAVING sum(n) <> 0 ORDER BY 1, 2`)
  const full = await db.execute<{ scope: string; state: string; n: string }>(sql`
    SELECT incident_count_scope(is_private, team_id)::text AS scope, state::text, count(*)::text AS n
      FROM incidents GROUP BY 1, 2 ORDER BY 1, 2`)
  return { maintained: [...maintained], full: [...full] }
}

const addIncidents = (n: number, state: string, teamId: number | null, isPrivate: boolean, severity = 'Low') =>
  db.execute(sql`INSERT INTO incidents (state, severity, summary, team_id, is_private)
    SELECT ${state}::incident_state, ${severity}, 'counted ' || g, ${teamId}, ${isPrivate} FROM generate_series(1, ${n}) g`)

/** The numbers in the tab-count fragment, by state (plus all). */
const tabCounts = async (cookie: string, query = '') => {
  const res = await t.api.request(`/incidents/counts${query}`, { headers: { cookie, 'HX-Request': 'true' } })
  expect(res.status).toBe(200)
  const body = await res.text()
  return Object.fromEntries(
    [...body.matchAll(/<span class="count" data-state="(\w+)">(\d+)<\/span>/g)].map((m) => [m[1], Number(m[2])]),
  )
}

describe('maintained incident counts', () => {
  it('equal a full count per state and scope after inserts, state, privacy and team changes, deletes, folds and truncate', async () => {
    const a = await makeTeam(db, { isPrivate: true })
    const b = await makeTeam(db, { isPrivate: true })
    await addIncidents(7, 'new', null, false)
    await addIncidents(3, 'open', a.id, true)
    await addIncidents(2, 'closed', b.id, true)
    await addIncidents(1, 'new', null, true) // private without a team: nobody's scope but the system's
    expect((await maintainedVsFull()).maintained).toEqual((await maintainedVsFull()).full)

    await db.execute(
      sql`UPDATE incidents SET state = 'assigned' WHERE id IN (SELECT id FROM incidents WHERE state = 'new' LIMIT 4)`,
    )
    await db.execute(
      sql`UPDATE incidents SET is_private = true, team_id = ${b.id} WHERE id = (SELECT min(id) FROM incidents WHERE NOT is_private)`,
    )
    await db.execute(
      sql`UPDATE incidents SET team_id = ${a.id}, state = 'ignored' WHERE team_id = ${b.id} AND state = 'closed'`,
    )
    await db.execute(sql`UPDATE incidents SET summary = summary || '!'`) // no count changes: nothing written
    await db.execute(sql`DELETE FROM incidents WHERE id = (SELECT max(id) FROM incidents WHERE state = 'open')`)
    await db.execute(sql`DELETE FROM teams WHERE id = ${a.id}`) // team_id set null by the foreign key
    const changed = await maintainedVsFull()
    expect(changed.maintained).toEqual(changed.full)

    const before = Number(
      (await db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM incident_state_counts`))[0]!.n,
    )
    expect(await compactIncidentCounts(db)).toBe(before)
    const folded = await maintainedVsFull()
    expect(folded.maintained).toEqual(folded.full)
    const rows = Number(
      (await db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM incident_state_counts`))[0]!.n,
    )
    expect(rows).toBe(folded.full.length)

    await db.execute(sql`TRUNCATE incidents CASCADE`)
    expect((await maintainedVsFull()).maintained).toEqual([])
  })
})

describe('the tab-count fragment', () => {
  it('counts private incidents only for members of their team, with and without filters', async () => {
    await db.execute(sql`TRUNCATE incidents CASCADE`)
    const secret = await makeTeam(db, { isPrivate: true })
    const member = await makeUser(db, [secret.name, 'Analysts'])
    const outsider = await makeUser(db, ['Analysts'])
    const admin = await makeUser(db, ['Admins'])
    await addIncidents(3, 'new', null, false)
    await addIncidents(1, 'closed', null, false, 'High')
    await addIncidents(2, 'new', secret.id, true)
    await addIncidents(1, 'closed', secret.id, true, 'High')

    const { cookie: memberCookie } = await signInAs(t.api, member.user.username)
    const { cookie: outsiderCookie } = await signInAs(t.api, outsider.user.username)
    const { cookie: adminCookie } = await signInAs(t.api, admin.user.username)

    expect(await tabCounts(memberCookie)).toMatchObject({ new: 5, closed: 2, all: 7 })
    expect(await tabCounts(outsiderCookie)).toMatchObject({ new: 3, closed: 1, all: 4 })
    expect(await tabCounts(adminCookie)).toMatchObject({ new: 3, closed: 1, all: 4 }) // Admins are not members
    // a filter counts the incidents themselves, under the same rule
    expect(await tabCounts(memberCookie, '?severity=High')).toMatchObject({ new: 0, closed: 2, all: 2 })
    expect(await tabCounts(outsiderCookie, '?severity=High')).toMatchObject({ new: 0, closed: 1, all: 1 })

    // a change shows at the next poll
    await db.execute(sql`UPDATE incidents SET is_private = false WHERE team_id = ${secret.id} AND state = 'closed'`)
    expect(await tabCounts(outsiderCookie)).toMatchObject({ new: 3, closed: 2, all: 5 })
    expect(await tabCounts(memberCookie)).toMatchObject({ new: 5, closed: 2, all: 7 })
  })
})
