import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { incidents } from '../../core/src/db/schema/index.ts'
import { type IncidentSort, listIncidents } from '../../core/src/domain/incidents/list-incidents.ts'
import { SYSTEM } from '../../core/src/policy/actor.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { makeUser, signInAs } from '../harness/factories.ts'

let t: TestApp
const SEVERITIES = ['Informational', 'Low', 'Medium', 'High', 'Critical']
beforeAll(async () => {
  t = await startTestApp()
  await t.deps.db.insert(incidents).values(
    Array.from({ length: 23 }, (_, i) => ({
      summary: `sort ${i}`,
      severity: SEVERITIES[i % 5]!,
      score: (i * 37) % 11,
      createdAt: new Date(Date.UTC(2026, 0, 1 + (i % 7), i)),
      state: i % 3 === 0 ? ('closed' as const) : ('new' as const),
      closedAt: i % 3 === 0 ? new Date(Date.UTC(2026, 1, 28 - i)) : null,
    })),
  )
})
afterAll(() => t.close())

/** Every page, following cursors, for one sort. */
const all = async (sort: IncidentSort, order: 'asc' | 'desc') => {
  const out: { id: number; severity: string; score: number; createdAt: string; closedAt: string | null }[] = []
  let cursor: string | undefined
  do {
    const page = await listIncidents(t.deps.db, SYSTEM, { sort, order, limit: 4, cursor, withCounts: false })
    out.push(...page.items)
    cursor = page.nextCursor
  } while (cursor)
  return out
}

const rank = (s: string) => SEVERITIES.indexOf(s)

describe('incident list sorting', () => {
  it('pages through every sort column in order, each incident exactly once', async () => {
    for (const sort of ['created', 'updated', 'closed', 'id', 'score', 'severity'] as IncidentSort[]) {
      for (const order of ['asc', 'desc'] as const) {
        const rows = await all(sort, order)
        expect(
          rows.map((r) => r.id).sort((a, b) => a - b),
          `${sort} ${order}`,
        ).toEqual(Array.from({ length: 23 }, (_, i) => i + 1))
        const key = (r: (typeof rows)[number]) =>
          sort === 'severity'
            ? rank(r.severity)
            : sort === 'score'
              ? r.score
              : sort === 'id'
                ? r.id
                : sort === 'closed'
                  ? (r.closedAt ?? '')
                  : sort === 'created'
                    ? r.createdAt
                    : 0
        for (let i = 1; i < rows.length; i++) {
          const [a, b] = [key(rows[i - 1]!), key(rows[i]!)]
          if (order === 'asc') expect(a <= b, `${sort} asc at ${i}`).toBe(true)
          else expect(a >= b, `${sort} desc at ${i}`).toBe(true)
        }
      }
    }
  })

  it('refuses a cursor issued for another sort', async () => {
    const page = await listIncidents(t.deps.db, SYSTEM, { sort: 'severity', limit: 2, withCounts: false })
    await expect(listIncidents(t.deps.db, SYSTEM, { sort: 'score', cursor: page.nextCursor })).rejects.toThrow(/cursor/)
  })

  it('offers sortable column headers in the incidents page', async () => {
    const { user } = await makeUser(t.deps.db, ['Analysts'])
    const s = await signInAs(t.api, user.username)
    const res = await t.api.request('/incidents?tab=all&sort=-severity', { headers: { cookie: s.cookie } })
    const body = await res.text()
    expect(res.status).toBe(200)
    expect(body).toContain('aria-sort="descending"')
    expect(body).toMatch(/href="\/incidents\?tab=all&amp;sort=severity"/)
    const first = [...body.matchAll(/<td class="mono"><a href="\/incidents\/(\d+)"/g)].map((m) => Number(m[1]))[0]
    const [top] = (
      await listIncidents(t.deps.db, SYSTEM, { sort: 'severity', order: 'desc', limit: 1, withCounts: false })
    ).items
    expect(first).toBe(top!.id)
  })
})

describe('native API sorting', () => {
  it('sorts by a named column and rejects an unknown one', async () => {
    const { makeApiKey } = await import('../harness/factories.ts')
    const key = await makeApiKey(t.deps.db, ['Analysts'])
    const res = await t.api.request('/api/v1/incidents?sort=score&order=desc&limit=3', {
      headers: { authorization: key },
    })
    expect(res.status).toBe(200)
    const { items } = (await res.json()) as { items: { score: number }[] }
    expect(items.map((i) => i.score)).toEqual([...items.map((i) => i.score)].sort((a, b) => b - a))
    const bad = await t.api.request('/api/v1/incidents?sort=password', { headers: { authorization: key } })
    expect(bad.status).toBe(400)
    expect(await bad.text()).toContain('sort:')
  })
})
