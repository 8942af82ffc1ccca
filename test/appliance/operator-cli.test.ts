import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort, runNode } from '../harness/process.ts'

/**
 * What an operator does on the VM's console TTY, without a browser: clawbackctl backup, secret
 * export/import and restore onto a fresh data directory — each command a real process on its own
 * embedded PostgreSQL.
 */
const first = mkdtempSync(path.join(tmpdir(), 'clawback-op-a-'))
const second = mkdtempSync(path.join(tmpdir(), 'clawback-op-b-'))
afterAll(() => {
  rmSync(first, { recursive: true, force: true })
  rmSync(second, { recursive: true, force: true })
})

const ctl = async (dataDir: string, pgPort: number, args: string[], stdin?: string) => {
  const p = runNode(
    'appliance/bin/clawbackctl.ts',
    args,
    { CLAWBACK_DATA_DIR: dataDir, CLAWBACK_EMBEDDED_PG_PORT: String(pgPort) },
    stdin,
  )
  const code = await p.exited
  return { code, out: p.output() }
}

describe('clawbackctl operator commands', async () => {
  const [portA, portB] = [await freePort(), await freePort()]

  it('backs up, exports the secret, and restores onto a fresh appliance with the imported secret', {
    timeout: 600_000,
  }, async () => {
    expect(
      (await ctl(first, portA, ['user', 'create', 'olivia', '--team', 'Admins'], 'operator password 1\n')).code,
    ).toBe(0)
    const before = await ctl(first, portA, ['audit', 'verify'])
    const records = /intact: (\d+) records/.exec(before.out)![1]

    const backup = await ctl(first, portA, ['backup', 'create'])
    expect(backup.code, backup.out).toBe(0)
    const file = backup.out
      .split('\n')
      .find((l) => l.endsWith('.cbk') || l.startsWith('/'))!
      .trim()
    expect(existsSync(file)).toBe(true)
    const name = path.basename(file)
    expect((await ctl(first, portA, ['backup', 'list'])).out).toContain(name)
    expect((await ctl(first, portA, ['backup', 'verify', name])).out).toMatch(/^OK: version/m)

    const exported = path.join(first, 'secret.export')
    expect((await ctl(first, portA, ['secret', 'export', '--out', exported], 'a passphrase for export\n')).code).toBe(0)
    expect(statSync(exported).mode & 0o777).toBe(0o600)
    const status = await ctl(first, portA, ['secret', 'status'])
    const keyId = /"keyId":"(k[0-9a-f]+)"/.exec(status.out)?.[1] ?? /k[0-9a-f]{12}/.exec(status.out)![0]

    // The fresh appliance cannot read the backup until it has the secret.
    expect((await ctl(second, portB, ['backup', 'verify', file])).code).not.toBe(0)
    expect((await ctl(second, portB, ['secret', 'import', exported], 'the wrong passphrase\n')).code).not.toBe(0)
    const imported = await ctl(second, portB, ['secret', 'import', exported], 'a passphrase for export\n')
    expect(imported.code, imported.out).toBe(0)
    expect(imported.out).toContain(keyId)

    const restored = await ctl(second, portB, ['backup', 'restore', file, '--yes'])
    expect(restored.code, restored.out).toBe(0)
    const after = await ctl(second, portB, ['audit', 'verify'])
    expect(after.code, after.out).toBe(0)
    expect(Number(/intact: (\d+) records/.exec(after.out)![1])).toBeGreaterThanOrEqual(Number(records))
    // The restored user exists: resetting their password works on the new appliance.
    expect((await ctl(second, portB, ['user', 'reset-password', 'olivia'], 'another password 2\n')).code).toBe(0)
  })
})
