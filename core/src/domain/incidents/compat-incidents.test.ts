import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDb, type TestDb } from '../../../../test/harness/db.ts'
import { incidents } from '../../db/schema/index.ts'
import { loadCompatIncidents } from './compat-incidents.ts'

let t: TestDb
let ids: number[]
beforeAll(async () => {
  t = await createTestDb()
  const rows = await t.db
    .insert(incidents)
    .values(
      ['2024-01-01T00:00:03Z', '2024-01-01T00:00:01Z', '2024-01-01T00:00:02Z'].map((at) => ({
        summary: 'x',
        createdAt: new Date(at),
      })),
    )
    .returning({ id: incidents.id })
  ids = rows.map((r) => Number(r.id))
})
afterAll(() => t.drop())

const all = sql`i.created_at >= '2024-01-01' AND i.created_at < '2024-01-02'`
const idsOf = (json: string) => (JSON.parse(`[${json}]`) as { id: number }[]).map((i) => i.id)

describe('loadCompatIncidents', () => {
  it('selects in (created_at, id) order, the newest N, and one more than it shows for a pager', async () => {
    const inOrder = [ids[1], ids[2], ids[0]]
    expect(idsOf((await loadCompatIncidents(t.db, { where: all }, true)).json)).toEqual(inOrder)
    expect(idsOf((await loadCompatIncidents(t.db, { where: all, limit: 2, newest: true }, true)).json)).toEqual(
      inOrder.slice(1),
    )
    let told: string[] = []
    const page = await loadCompatIncidents(
      t.db,
      { where: all, limit: 2, show: 1, onIncidents: (incs) => (told = incs.map((i) => i.id)) },
      false,
    )
    expect(told.map(Number)).toEqual(inOrder.slice(0, 2))
    expect(page.hasMore).toBe(true)
    expect(page.incidents.map((i) => Number(i.id))).toEqual(inOrder.slice(0, 1))
    expect(idsOf(page.json)).toEqual(inOrder.slice(0, 1))
    expect(await loadCompatIncidents(t.db, { where: sql`false` }, true)).toEqual({
      incidents: [],
      json: '',
      hasMore: false,
    })
  })

  it('gives its connection back when a statement fails (more failures than the pool has connections)', async () => {
    for (let k = 0; k < 12; k++)
      await expect(loadCompatIncidents(t.db, { where: sql`i.no_such_column = 1` }, true)).rejects.toThrow(
        /no_such_column/,
      )
    expect(idsOf((await loadCompatIncidents(t.db, { where: all }, true)).json)).toHaveLength(3)
  })
})
