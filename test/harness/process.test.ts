import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { waitForPidFile } from './process.ts'

const dir = mkdtempSync(path.join(tmpdir(), 'clawback-pidfile-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('waitForPidFile', () => {
  it('waits through a pid file that exists but is still empty (never 0), then returns the pid', async () => {
    const file = path.join(dir, 'master.pid')
    writeFileSync(file, '') // created, number not yet written: the window the Dovecot peer once read in
    setTimeout(() => writeFileSync(file, '4242\n'), 150)
    expect(await waitForPidFile(file, 5_000)).toBe(4242)
  })

  it('fails, naming the file, when no pid ever arrives', async () => {
    const file = path.join(dir, 'never.pid')
    writeFileSync(file, '')
    await expect(waitForPidFile(file, 200)).rejects.toThrow(/no pid in .*never\.pid/)
  })
})
