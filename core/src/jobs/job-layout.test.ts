import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { expect, it } from 'vitest'
import { forbiddenChain, tsFiles } from '../../../test/harness/import-graph.ts'

const CORE = path.resolve(import.meta.dirname, '..')
const HANDLERS = path.join(CORE, 'jobs/handlers')
const LIST = path.join(CORE, 'jobs/all-jobs.ts')
const NOT_DEFINITIONS = ['all-jobs.ts', 'worker.ts', 'boss.ts', 'enqueue.ts', 'define-job.ts']
const isHandlerCode = (target: string) => target.startsWith(`${HANDLERS}/`) || target === LIST

it('enqueuing never imports handler code: domain code and job definitions reach no handler and not the job list, even transitively', () => {
  const enqueuers = [
    ...tsFiles(path.join(CORE, 'domain')),
    ...readdirSync(path.join(CORE, 'jobs'))
      .filter(
        (f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !['all-jobs.ts', 'worker.ts', 'boss.ts'].includes(f),
      )
      .map((f) => path.join(CORE, 'jobs', f)),
  ]
  expect(enqueuers).toContain(path.join(CORE, 'jobs/alert-match.ts'))
  expect(enqueuers).toContain(path.join(CORE, 'domain/intake/enqueue-alert-match.ts')) // enqueues alert.match
  const offenders = enqueuers.flatMap((file) => {
    const chain = forbiddenChain(file, isHandlerCode)
    return chain ? [chain.map((f) => path.relative(CORE, f)).join(' → ')] : []
  })
  expect(offenders).toEqual([])
})

it('every handler in jobs/handlers/ pairs a definition with a run that calls the domain', () => {
  const handlers = readdirSync(HANDLERS)
  expect(handlers).toContain('alert-match.ts')
  for (const f of handlers) {
    const src = readFileSync(path.join(HANDLERS, f), 'utf8')
    expect(src, f).toMatch(/withHandler\(/)
    expect(src, f).toMatch(/from '\.\.\/\.\.\/domain\//)
  }
})

it('a job definition (jobs/<name>.ts) imports only zod and define-job.ts and carries no handler', async () => {
  const definitions = readdirSync(path.join(CORE, 'jobs')).filter(
    (f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !NOT_DEFINITIONS.includes(f),
  )
  expect(definitions).toContain('alert-match.ts')
  for (const f of definitions) {
    const src = readFileSync(path.join(CORE, 'jobs', f), 'utf8')
    expect([...src.matchAll(/from '([^']+)'/g)].map((m) => m[1]).sort(), f).toEqual(['./define-job.ts', 'zod'])
    const specs = Object.values(await import(path.join(CORE, 'jobs', f))) as Record<string, unknown>[]
    expect(specs.length, f).toBeGreaterThan(0)
    for (const spec of specs) expect(Object.keys(spec), `${f}: ${spec.name}`).not.toContain('run')
  }
})
