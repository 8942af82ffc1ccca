import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { expect, it } from 'vitest'

const CORE = path.resolve(import.meta.dirname, '..')
const tsFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? tsFiles(path.join(dir, e.name))
      : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')
        ? [path.join(dir, e.name)]
        : [],
  )
const importsOf = (file: string) =>
  [...readFileSync(file, 'utf8').matchAll(/from '([^']+)'/g)].map((m) => path.resolve(path.dirname(file), m[1]!))

it('enqueuing never imports handler code: domain code and job definitions import no handler and not the job list', () => {
  const handlers = path.join(CORE, 'jobs/handlers')
  const list = path.join(CORE, 'jobs/all-jobs.ts')
  const enqueuers = [
    ...tsFiles(path.join(CORE, 'domain')),
    ...readdirSync(path.join(CORE, 'jobs'))
      .filter(
        (f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !['all-jobs.ts', 'worker.ts', 'boss.ts'].includes(f),
      )
      .map((f) => path.join(CORE, 'jobs', f)),
  ]
  const offenders = enqueuers.flatMap((file) =>
    importsOf(file)
      .filter((target) => target.startsWith(`${handlers}/`) || target === list)
      .map((target) => `${path.relative(CORE, file)} → ${path.relative(CORE, target)}`),
  )
  expect(offenders).toEqual([])
})

it('every handler in jobs/handlers/ pairs a definition with a run that calls the domain', () => {
  for (const f of readdirSync(path.join(CORE, 'jobs/handlers'))) {
    const src = readFileSync(path.join(CORE, 'jobs/handlers', f), 'utf8')
    expect(src, f).toMatch(/withHandler\(/)
    expect(src, f).toMatch(/from '\.\.\/\.\.\/domain\//)
  }
})
