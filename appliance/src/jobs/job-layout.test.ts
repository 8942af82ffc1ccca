import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { expect, it } from 'vitest'
import { forbiddenChain, tsFiles } from '../../../test/harness/import-graph.ts'

// The appliance's jobs follow core's layout (core/src/jobs/job-layout.test.ts): definitions in
// jobs/<name>.ts, handlers in jobs/handlers/, the list in jobs/all-jobs.ts for the process entry.
const ROOT = path.resolve(import.meta.dirname, '../../..')
const JOBS = path.join(ROOT, 'appliance/src/jobs')
const isHandlerCode = (t: string) =>
  t.startsWith(`${JOBS}/handlers/`) ||
  t === path.join(JOBS, 'all-jobs.ts') ||
  t.startsWith(path.join(ROOT, 'core/src/jobs/handlers/')) ||
  t === path.join(ROOT, 'core/src/jobs/all-jobs.ts')

it('enqueuing a backup never imports handler code: definitions, appliance functions and the console page that enqueues reach no handler', () => {
  const enqueuers = [
    ...tsFiles(path.join(ROOT, 'appliance/src')).filter(
      (f) => !f.startsWith(`${JOBS}/handlers/`) && f !== path.join(JOBS, 'all-jobs.ts'),
    ),
    path.join(ROOT, 'console/src/management/backup-create.ts'), // queues system.backup-create through appliance/src/backup/queue-backup.ts
  ]
  expect(enqueuers).toContain(path.join(JOBS, 'backup-create.ts'))
  const offenders = enqueuers.flatMap((file) => {
    const chain = forbiddenChain(file, isHandlerCode)
    return chain ? [chain.map((f) => path.relative(ROOT, f)).join(' → ')] : []
  })
  expect(offenders).toEqual([])
})

it('every appliance handler pairs a definition with a run that calls an appliance function', () => {
  const handlers = readdirSync(path.join(JOBS, 'handlers'))
  expect(handlers.sort()).toEqual(['backup-create.ts', 'backup-schedule.ts'])
  for (const f of handlers) {
    const src = readFileSync(path.join(JOBS, 'handlers', f), 'utf8')
    expect(src, f).toMatch(/withHandler\(/)
    expect(src, f).toMatch(/from '\.\.\/\.\.\/backup\//)
  }
})

it('a backup job definition imports only zod and define-job.ts and carries no handler', async () => {
  for (const f of ['backup-create.ts', 'backup-schedule.ts']) {
    const src = readFileSync(path.join(JOBS, f), 'utf8')
    expect([...src.matchAll(/from '([^']+)'/g)].map((m) => m[1]).sort(), f).toEqual([
      '../../../core/src/jobs/define-job.ts',
      'zod',
    ])
    const specs = Object.values(await import(path.join(JOBS, f))) as Record<string, unknown>[]
    expect(specs.length, f).toBe(1)
    expect(Object.keys(specs[0]!), f).not.toContain('run')
  }
})
