import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { credentials } from '../../core/src/db/schema/index.ts'
import { createTestDb, type TestDb } from '../harness/db.ts'
import { runNode } from '../harness/process.ts'
import { startWebhookReceiver } from '../peers/webhook-receiver.ts'

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

const ctl = async (args: string[], stdin?: string) => {
  const p = runNode(
    'appliance/bin/clawbackctl.ts',
    args,
    { DATABASE_URL: testDb.url, CLAWBACK_DATA_DIR: dataDir },
    stdin,
  )
  return { code: await p.exited, out: p.output() }
}

// Several cold clawbackctl starts (each transforms the TypeScript sources): slow under load.
it('clawbackctl connector create/list/test/delete, secrets from stdin only', { timeout: 180_000 }, async () => {
  const hook = await startWebhookReceiver('from-stdin-secret')
  try {
    const created = await ctl(
      [
        'connector',
        'create',
        '--kind',
        'webhook',
        '--name',
        'cli hook',
        '--settings',
        JSON.stringify({ url: hook.url }),
        '--on-premises',
        '--secrets-stdin',
      ],
      JSON.stringify({ signingSecret: 'from-stdin-secret' }),
    )
    expect(created.code, created.out).toBe(0)
    const id = /^(\d+)$/m.exec(created.out)![1]!
    expect(await testDb.db.select().from(credentials)).toHaveLength(1)
    const tested = await ctl(['connector', 'test', id])
    expect(tested.code, tested.out).toBe(0)
    expect(tested.out).toMatch(/ok: the endpoint answered HTTP 200/)
    expect(hook.deliveries[0]?.isSignatureValid).toBe(true)
    const listed = await ctl(['connector', 'list'])
    expect(listed.out).toMatch(new RegExp(`${id}\\twebhook\\tcli hook\\tenabled,on-premises\\tok: `))
    expect(listed.out).not.toContain('from-stdin-secret')
    const bad = await ctl(['connector', 'create', '--kind', 'webhook', '--name', 'x', '--settings', '{"url":"nope"}'])
    expect(bad.code).not.toBe(0)
    expect(bad.out).toMatch(/settings\.url/)
    expect((await ctl(['connector', 'delete', id])).code).toBe(0)
    expect(await testDb.db.select().from(credentials)).toHaveLength(0)
  } finally {
    await hook.close()
  }
})
