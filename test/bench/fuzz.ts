/**
 * The long fuzz run (issue 13 item 10): FUZZ_CASES (default 1,000,000) property-based requests
 * generated from the OpenAPI document and the route table (test/harness/fuzz.ts), against every
 * route with every role, through the real apps without a socket (`app.request()`), on an embedded
 * PostgreSQL under FUZZ_DIR (default var/bench-fuzz, port FUZZ_PG_PORT 18550). Checks each answer:
 * no 5xx, no hang (FUZZ_TIMEOUT_MS per request, default 10,000), and a refused write (4xx) leaves
 * the database unchanged (checksum of the written tables before/after). Prints cases run, cases/s,
 * counts by status class, 5xx, hangs and half-stored writes, and the first failures (FUZZ_SEED to
 * replay). FUZZ_SECONDS stops earlier, after the batch that crosses that time. Exits 1 on any failure.
 *
 *   nice -n 10 npx node test/bench/fuzz.ts                 (FUZZ_CASES=20000 for a quick run)
 */
// First: sockets and DNS look-ups beyond loopback throw (fuzzed connectors must not reach out).
import '../harness/loopback-only.ts'
import { rmSync } from 'node:fs'
import path from 'node:path'
import fc from 'fast-check'
import { mounts } from '../../console/src/mounts.ts'
import { buildApiApp } from '../../core/src/api/app.ts'
import { buildConsoleApp } from '../../core/src/api/console-app.ts'
import { loadConfig } from '../../core/src/config.ts'
import { loadOrCreateMasterSecret } from '../../core/src/crypto/master-secret.ts'
import { closeDb, openDb } from '../../core/src/db/client.ts'
import { startEmbeddedPostgres } from '../../core/src/db/embedded.ts'
import { migrate } from '../../core/src/db/migrate.ts'
import type { Deps } from '../../core/src/deps.ts'
import { ensureBuiltins } from '../../core/src/domain/setup/ensure-builtins.ts'
import { startBoss } from '../../core/src/jobs/boss.ts'
import { createLogger } from '../../core/src/log.ts'
import type { TestApp } from '../harness/app.ts'
import { collectTargets, makeFixtures, makeRoles, refreshRoles, requestArb, runCase } from '../harness/fuzz.ts'

const CASES = Number(process.env.FUZZ_CASES ?? 1_000_000)
const TIMEOUT_MS = Number(process.env.FUZZ_TIMEOUT_MS ?? 10_000)
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31)
const SECONDS = Number(process.env.FUZZ_SECONDS ?? Number.POSITIVE_INFINITY)
const BATCH = 1000
const dir = path.resolve(process.env.FUZZ_DIR ?? 'var/bench-fuzz')

// A fresh database each run: the fuzz writes (and deletes) a lot.
rmSync(dir, { recursive: true, force: true })
const log = createLogger(process.env.FUZZ_LOG_LEVEL ?? 'silent')
const pg = await startEmbeddedPostgres(dir, Number(process.env.FUZZ_PG_PORT ?? 18550), log)
const db = openDb(pg.url, { max: 10 })
await migrate(db.$client)
await ensureBuiltins(db)
const config = loadConfig({
  CLAWBACK_DATA_DIR: path.join(dir, 'data'),
  DATABASE_URL: pg.url,
  CLAWBACK_CONFIG: '/dev/null',
  CLAWBACK_MAX_ATTACHMENT_BYTES: '100000',
})
const boss = await startBoss(pg.url, log, { supervise: false, max: 2, jobs: mounts.jobs, roles: config.roles })
const deps: Deps = {
  config,
  db,
  boss,
  keyring: loadOrCreateMasterSecret(config.masterSecretFile),
  log,
  readiness: {},
  checkResponses: true,
}
const t = {
  deps,
  dataDir: config.dataDir,
  api: buildApiApp(deps, mounts.api),
  console: buildConsoleApp(deps, mounts.console),
} as unknown as TestApp

const ids = await makeFixtures(t)
const targets = await collectTargets(t)
let roles = await makeRoles(t)
console.log(
  `fuzz: ${targets.length} routes x ${roles.length} roles, ${CASES} cases, seed ${SEED}, timeout ${TIMEOUT_MS} ms`,
)

const byClass: Record<string, number> = {}
const failures: string[] = []
let fivexx = 0
let hangs = 0
let halfStored = 0
let done = 0
let slowest = { ms: 0, label: '' }
const started = performance.now()
let seed = SEED
while (done < CASES && performance.now() - started < SECONDS * 1000) {
  const n = Math.min(BATCH, CASES - done)
  const cases = fc.sample(requestArb(targets, roles, ids), { numRuns: n, seed: seed++ })
  for (const c of cases) {
    const o = await runCase(t, c, TIMEOUT_MS)
    done++
    const cls = o.hung ? 'hang' : `${Math.floor(o.status / 100)}xx`
    byClass[cls] = (byClass[cls] ?? 0) + 1
    if (o.ms > slowest.ms) slowest = { ms: o.ms, label: c.label.slice(0, 160) }
    if (o.hung) hangs++
    if (o.status >= 500) fivexx++
    if (o.halfStored) halfStored++
    if ((o.hung || o.status >= 500 || o.halfStored) && failures.length < 20)
      console.log(`FAIL ${o.hung ? 'hang' : o.status}${o.halfStored ? ' half-stored' : ''}: ${c.label.slice(0, 300)}`)
    if ((o.hung || o.status >= 500 || o.halfStored) && failures.length < 20)
      failures.push(
        `${o.hung ? 'hang' : o.status}${o.halfStored ? ' half-stored' : ''} (seed ${seed - 1}): ${c.label.slice(0, 300)}`,
      )
  }
  roles = await refreshRoles(t, roles)
  if (done % 5000 < BATCH || done === CASES) {
    const s = (performance.now() - started) / 1000
    console.log(
      `${done} cases in ${s.toFixed(0)} s (${(done / s).toFixed(0)}/s): ${JSON.stringify(byClass)}, 5xx ${fivexx}, hangs ${hangs}, half-stored ${halfStored}`,
    )
  }
}
const seconds = (performance.now() - started) / 1000
console.log('---')
console.log(`cases run:     ${done}`)
console.log(`seconds:       ${seconds.toFixed(1)}`)
console.log(`cases/s:       ${(done / seconds).toFixed(0)}`)
console.log(`by class:      ${JSON.stringify(byClass)}`)
console.log(`5xx:           ${fivexx}`)
console.log(`hangs:         ${hangs}`)
console.log(`half-stored:   ${halfStored}`)
console.log(`slowest:       ${slowest.ms.toFixed(0)} ms ${slowest.label}`)
for (const f of failures) console.log(`FAIL ${f}`)
await boss.stop({ close: true, graceful: false })
await closeDb(db)
await pg.stop()
process.exit(fivexx + hangs + halfStored > 0 ? 1 : 0)
