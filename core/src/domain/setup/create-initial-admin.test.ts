import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createTestDb, type TestDb } from '../../../../test/harness/db.ts'
import { users } from '../../db/schema/index.ts'
import { createInitialAdmin, INITIAL_ADMIN_FILE } from './create-initial-admin.ts'
import { ensureBuiltins } from './ensure-builtins.ts'

let t: TestDb
const dataDir = mkdtempSync(path.join(tmpdir(), 'initial-admin-'))
beforeAll(async () => {
  t = await createTestDb()
  await ensureBuiltins(t.db)
})
afterAll(async () => {
  await t.drop()
  rmSync(dataDir, { recursive: true, force: true })
})

it('several processes starting at once on a fresh database: one creates admin, none fails', async () => {
  // Each call counts users on its own pooled connection before any has created one: what two
  // worker processes started together do (the scale-out test lost one of them to CONFLICT).
  const results = await Promise.all(Array.from({ length: 4 }, () => createInitialAdmin(t.db, dataDir)))
  const made = results.filter((r) => r !== undefined)
  expect(made).toHaveLength(1)
  const rows = await t.db.select({ username: users.username }).from(users)
  expect(rows.map((r) => r.username)).toEqual(['admin'])
  expect(readFileSync(path.join(dataDir, INITIAL_ADMIN_FILE), 'utf8')).toContain(`password: ${made[0]!.password}`)
  expect(await createInitialAdmin(t.db, dataDir)).toBeUndefined()
})
