import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runPrivilegedRequests, submitPrivilegedRequest } from '../../appliance/src/ops/privileged-requests.ts'
import { readOp } from '../../appliance/src/ops/progress.ts'

describe('privileged requests (console → root helper)', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cb-priv-'))
  const dir = path.join(dataDir, 'ops', 'requests')
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

  it('runs each valid request once and refuses anything else', async () => {
    submitPrivilegedRequest(dataDir, {
      kind: 'upgrade-apply',
      opId: 'upgrade-1-abc',
      image: 'img-123.img',
      requestedBy: 'admin',
    })
    expect(readOp(dataDir, 'upgrade-1-abc')?.state).toBe('queued')
    expect(() =>
      submitPrivilegedRequest(dataDir, {
        kind: 'upgrade-apply',
        opId: 'upgrade-2',
        image: '../../etc/passwd',
        requestedBy: 'x',
      }),
    ).toThrow()
    mkdirSync(dir, { recursive: true })
    writeFileSync(path.join(dir, 'a-shell.json'), JSON.stringify({ kind: 'shell', opId: 'x', command: 'rm -rf /' }))
    writeFileSync(
      path.join(dir, 'b-path.json'),
      JSON.stringify({ kind: 'upgrade-apply', opId: 'upgrade-3', image: '/tmp/evil.img', requestedBy: 'x' }),
    )
    symlinkSync('/etc/hostname', path.join(dir, 'c-link.json'))
    const seen: string[] = []
    const outcomes = await runPrivilegedRequests(dataDir, {
      'upgrade-apply': async (r) => {
        seen.push(`${r.kind}:${r.image}`)
      },
      restart: async () => {
        seen.push('restart')
      },
      'system-apply': async () => {
        seen.push('system-apply')
      },
    })
    expect(seen).toEqual(['upgrade-apply:img-123.img'])
    expect(
      outcomes
        .filter((o) => o.outcome.startsWith('refused'))
        .map((o) => o.file)
        .sort(),
    ).toEqual(['a-shell.json', 'b-path.json', 'c-link.json'])
    expect(readdirSync(dir)).toEqual([])
    expect(
      await runPrivilegedRequests(dataDir, {
        'upgrade-apply': async () => {
          seen.push('again')
        },
        restart: async () => {},
        'system-apply': async () => {},
      }),
    ).toEqual([])
    expect(seen).toHaveLength(1)
  })
})
