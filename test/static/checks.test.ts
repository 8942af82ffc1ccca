import { execFile } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)
const root = path.resolve(import.meta.dirname, '../..')
const bin = (name: string) => path.join(root, 'node_modules/.bin', name)

/**
 * The suite's own copy of the checks CONTRIBUTING.md asks for before a commit: vitest strips types
 * without checking them, so a type error in a test or a bench (one landed in stop 31) passed CI.
 * Both run on the whole tree, as `npm run typecheck` and `npm run lint` do; a failure prints what
 * they printed.
 */
describe('static checks', () => {
  it('the whole tree type-checks (tsc --noEmit)', async () => {
    const r = await run(bin('tsc'), ['--noEmit', '-p', root], { cwd: root, maxBuffer: 16 << 20 }).then(
      () => null,
      (err: { stdout?: string; stderr?: string }) => `${err.stdout ?? ''}${err.stderr ?? ''}`,
    )
    expect(r).toBeNull()
  })

  it('the linter finds no error (biome check)', async () => {
    const r = await run(bin('biome'), ['check', '--max-diagnostics=50', '.'], { cwd: root, maxBuffer: 16 << 20 }).then(
      () => null,
      (err: { stdout?: string; stderr?: string }) => `${err.stdout ?? ''}${err.stderr ?? ''}`,
    )
    expect(r).toBeNull()
  })
})
