import { execFile } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)
const root = path.resolve(import.meta.dirname, '../..')

/** Runs a tool from node_modules/.bin at the root: null when it exits 0, else what it printed. */
const failureOf = (tool: string, args: string[]) =>
  run(path.join(root, 'node_modules/.bin', tool), args, { cwd: root, maxBuffer: 16 << 20 }).then(
    () => null,
    (err: { stdout?: string; stderr?: string }) => `${err.stdout ?? ''}${err.stderr ?? ''}`,
  )

/**
 * The suite's own copy of the checks CONTRIBUTING.md asks for before a commit: vitest strips types
 * without checking them, so a type error in a test or a bench (one landed in stop 31) passed CI.
 * Both run on the whole tree, as `npm run typecheck` and `npm run lint` do; a failure prints what
 * they printed.
 */
describe('static checks', () => {
  it('the whole tree type-checks (tsc --noEmit)', async () => {
    expect(await failureOf('tsc', ['--noEmit', '-p', root])).toBeNull()
  })

  it('the linter finds no error (biome check)', async () => {
    expect(await failureOf('biome', ['check', '--max-diagnostics=50', '.'])).toBeNull()
  })
})
