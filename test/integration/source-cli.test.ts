import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { sha256 } from '../../core/src/auth/tokens.ts'
import { sources } from '../../core/src/db/schema/index.ts'
import { createTestDb, type TestDb } from '../harness/db.ts'
import { runNode } from '../harness/process.ts'

let testDb: TestDb
let dataDir: string
beforeAll(async () => {
  testDb = await createTestDb()
  dataDir = mkdtempSync(path.join(tmpdir(), 'clawback-cli-'))
})
afterAll(async () => {
  await testDb.drop()
  rmSync(dataDir, { recursive: true, force: true })
})

it('clawbackctl source create --type json prints the POST URL of a new source', async () => {
  const p = runNode('appliance/bin/clawbackctl.ts', ['source', 'create', '--type', 'json', '--name', 'From CLI'], {
    DATABASE_URL: testDb.url,
    CLAWBACK_DATA_DIR: dataDir,
    CLAWBACK_PUBLIC_URL: 'https://clawback.example',
  })
  expect(await p.exited, p.output()).toBe(0)
  const url = /https:\/\/clawback\.example\/threat\/json_event\/events\/([\w-]{43})/.exec(p.output())
  expect(url, p.output()).not.toBeNull()
  const [row] = await testDb.db
    .select()
    .from(sources)
    .where(eq(sources.tokenHash, sha256(url![1]!)))
  expect(row).toMatchObject({ name: 'From CLI', type: 'json', isEnabled: true })
})
