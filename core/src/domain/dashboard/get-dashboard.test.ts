import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDb, type TestDb } from '../../../../test/harness/db.ts'
import { makeTeam, makeUser } from '../../../../test/harness/factories.ts'
import { incidentFields, incidentFieldValues, incidents, incidentUsers, sources, users } from '../../db/schema/index.ts'
import { getDashboard } from './get-dashboard.ts'

let t: TestDb
beforeAll(async () => {
  t = await createTestDb()
})
afterAll(() => t.drop())

const NOW = new Date('2026-03-10T12:00:00Z')
const at = (iso: string) => new Date(iso)

describe('getDashboard', () => {
  it('counts per day, times, backlog and top lists, and never counts a private incident for a non-member', async () => {
    const db = t.db
    const secret = await makeTeam(db, { isPrivate: true, permissions: ['incidents.read'] })
    const outsider = await makeUser(db, ['Admins'])
    const insider = await makeUser(db, ['Analysts', secret.name])
    const [src] = await db.insert(sources).values({ name: 'Mail gateway', type: 'json' }).returning()
    await db.insert(users).values({ username: 'alice', email: 'alice@example.com', department: 'Finance' })
    const [classification] = await db.select().from(incidentFields).where(eq(incidentFields.name, 'Classification'))

    const rows = await db
      .insert(incidents)
      .values([
        // opened 03-09, first action after 10 min, closed after 2 h
        {
          summary: 'a',
          state: 'closed',
          sourceId: src!.id,
          createdAt: at('2026-03-09T08:00:00Z'),
          firstActionAt: at('2026-03-09T08:10:00Z'),
          closedAt: at('2026-03-09T10:00:00Z'),
        },
        // opened 03-10, untouched (unprocessed, not yet slow)
        { summary: 'b', state: 'new', sourceId: src!.id, createdAt: at('2026-03-10T09:00:00Z') },
        // opened 03-05, still open: slow
        {
          summary: 'c',
          state: 'open',
          createdAt: at('2026-03-05T09:00:00Z'),
          firstActionAt: at('2026-03-05T09:30:00Z'),
        },
        // outside the window entirely (but unresolved, so in the backlog)
        { summary: 'old', state: 'new', createdAt: at('2026-01-01T09:00:00Z') },
        // private to the secret team: visible only to the insider
        {
          summary: 'private',
          state: 'new',
          isPrivate: true,
          teamId: secret.id,
          sourceId: src!.id,
          createdAt: at('2026-03-10T10:00:00Z'),
        },
      ])
      .returning()
    const [a, b, , , priv] = rows
    await db.insert(incidentUsers).values([
      { incidentId: a!.id, kind: 'target', username: 'alice@example.com' },
      { incidentId: b!.id, kind: 'target', username: 'alice@example.com' },
      { incidentId: b!.id, kind: 'attacker', username: 'mallory@evil.test' },
      { incidentId: priv!.id, kind: 'target', username: 'ceo@example.com' },
    ])
    await db.insert(incidentFieldValues).values([
      { incidentId: a!.id, fieldId: classification!.id, value: 'Phishing' },
      { incidentId: b!.id, fieldId: classification!.id, value: 'Phishing' },
      { incidentId: priv!.id, fieldId: classification!.id, value: 'Malware' },
    ])

    const d = await getDashboard(db, outsider.actor, { days: 7, now: NOW })
    expect(d.days).toHaveLength(7)
    expect(d.days.at(-1)).toEqual({ day: '2026-03-10', opened: 1, closed: 0 })
    expect(d.days.find((x) => x.day === '2026-03-09')).toEqual({ day: '2026-03-09', opened: 1, closed: 1 })
    expect(d.opened).toBe(3)
    expect(d.closed).toBe(1)
    expect(d.firstAction.count).toBe(2)
    expect(d.firstAction.median).toBe(20 * 60) // 10 and 30 minutes
    expect(d.toClose).toEqual({ count: 1, median: 7200, p90: 7200 })
    expect(d.unprocessed).toBe(2) // b and old, not the private one
    expect(d.unresolved).toBe(3)
    expect(d.slow).toBe(2) // c and old
    expect(d.oldest.map((o) => o.summary)).toEqual(['old', 'c'])
    expect(d.topUsers).toEqual([{ label: 'alice@example.com', count: 2 }])
    expect(d.topDepartments).toEqual([{ label: 'Finance', count: 2 }])
    expect(d.topSources).toEqual([
      { label: 'Mail gateway', count: 2 },
      { label: '(no source)', count: 1 },
    ])
    expect(d.topClassifications).toEqual([{ label: 'Phishing', count: 2 }])

    const inside = await getDashboard(db, insider.actor, { days: 7, now: NOW })
    expect(inside.opened).toBe(4)
    expect(inside.unprocessed).toBe(3)
    expect(inside.topUsers.map((u) => u.label)).toContain('ceo@example.com')
    expect(inside.topClassifications).toContainEqual({ label: 'Malware', count: 1 })
  })

  it('refuses an actor without incidents.read and a silly window', async () => {
    const team = await makeTeam(t.db, { permissions: ['audit.read'] })
    const { actor } = await makeUser(t.db, [team.name])
    await expect(getDashboard(t.db, actor)).rejects.toMatchObject({ code: 'FORBIDDEN' })
    const { actor: analyst } = await makeUser(t.db, ['Analysts'])
    await expect(getDashboard(t.db, analyst, { days: 0 })).rejects.toMatchObject({ code: 'INVALID_REQUEST' })
  })
})
