/**
 * Server time of the analyst UI's heaviest pages on a large database:
 *  - incidents list, default view (New tab, newest first, with the state counts)
 *  - incidents list, filtered: Closed tab + closed date range + severity + free-text search
 *  - incident page of an incident with 500 alerts (each with an e-mail, URLs and an attachment)
 *  - the state-count fragment the list page loads with htmx and polls every 20 s (maintained counts;
 *    also with unfolded delta rows, and with filters, where the incidents themselves are counted)
 * Seeds BENCH_INCIDENTS (default 1,000,000) incidents, each with one alert and one e-mail, into an
 * embedded PostgreSQL under BENCH_DIR (default var/bench-ui; kept, so later runs skip seeding).
 * Requests go through the real app (`app.request()`, session cookie, guard, domain, rendering),
 * without a socket, so the figure is server time. Prints p50/p95/max per page.
 *
 *   npx node test/bench/ui-pages.ts          (BENCH_RUNS=60 per page)
 */
import { loadavg } from 'node:os'
import path from 'node:path'
import { sql } from 'drizzle-orm'
import { mounts } from '../../console/src/mounts.ts'
import { buildApiApp } from '../../core/src/api/app.ts'
import { loadConfig } from '../../core/src/config.ts'
import { loadOrCreateMasterSecret } from '../../core/src/crypto/master-secret.ts'
import { closeDb, openDb } from '../../core/src/db/client.ts'
import { startEmbeddedPostgres } from '../../core/src/db/embedded.ts'
import { migrate } from '../../core/src/db/migrate.ts'
import type { Deps } from '../../core/src/deps.ts'
import { countIncidentsByState } from '../../core/src/domain/incidents/count-incidents.ts'
import { ensureBuiltins } from '../../core/src/domain/setup/ensure-builtins.ts'
import { createUser } from '../../core/src/domain/users/create-user.ts'
import { loadUserActor } from '../../core/src/domain/users/load-user-actor.ts'
import { startBoss } from '../../core/src/jobs/boss.ts'
import { createLogger } from '../../core/src/log.ts'
import { SYSTEM } from '../../core/src/policy/actor.ts'
import { PASSWORD, signInAs } from '../harness/factories.ts'

const N = Number(process.env.BENCH_INCIDENTS ?? 1_000_000)
const RUNS = Number(process.env.BENCH_RUNS ?? 60)
const dir = path.resolve(process.env.BENCH_DIR ?? 'var/bench-ui')
const log = createLogger('warn')
const pg = await startEmbeddedPostgres(dir, Number(process.env.BENCH_PG_PORT ?? 54377), log)
const db = openDb(pg.url, { max: 10 })
await migrate(db.$client)
await ensureBuiltins(db)

const seeded = async () =>
  Number((await db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM incidents`))[0]!.n)
if ((await seeded()) < N) {
  const t0 = performance.now()
  await db.execute(sql`TRUNCATE incidents, alerts, sources RESTART IDENTITY CASCADE`)
  await db.execute(sql`INSERT INTO sources (name, type) VALUES ('Bench gateway', 'json')`)
  // ~30 s apart, newest now; every 5th closed two hours after creation; ids grow with time.
  await db.execute(sql`INSERT INTO incidents (state, severity, type, summary, source_id, created_at, updated_at, closed_at)
    SELECT (ARRAY['new','open','assigned','closed','ignored'])[1 + g % 5]::incident_state,
      (ARRAY['Informational','Low','Medium','High','Critical'])[1 + (g * 7) % 5], 'Phishing',
      'Reported phish ' || g, 1, now() - make_interval(secs => (${N} - g) * 30), now() - make_interval(secs => (${N} - g) * 30),
      CASE WHEN g % 5 = 3 THEN now() - make_interval(secs => (${N} - g) * 30) + interval '2 hours' END
    FROM generate_series(1, ${N}) g`)
  await db.execute(sql`INSERT INTO alerts (source_id, incident_id, raw, summary, classification, severity, received_at)
    SELECT 1, i.id, '{}', i.summary, 'phish', 'major', i.created_at FROM incidents i`)
  await db.execute(sql`INSERT INTO alert_emails (alert_id, message_id, sender, recipients, subject, urls)
    SELECT a.id, '<' || a.id || '@bench.example>', 'sender' || a.id % 5000 || '@evil.example', ARRAY['user' || a.id % 20000 || '@corp.example'],
      'Subject ' || a.id || CASE WHEN a.id % 97 = 0 THEN ' invoice overdue' ELSE '' END, ARRAY['http://evil.example/' || a.id]
    FROM alerts a`)
  // one incident with 500 alerts
  await db.execute(sql`WITH i AS (INSERT INTO incidents (state, severity, type, summary, source_id) VALUES ('open', 'High', 'Phishing', 'Campaign with 500 alerts', 1) RETURNING id),
    a AS (INSERT INTO alerts (source_id, incident_id, raw, summary, classification, severity)
      SELECT 1, i.id, '{}', 'Campaign alert ' || g, 'phish', 'major' FROM i, generate_series(1, 500) g RETURNING id)
    INSERT INTO alert_emails (alert_id, message_id, sender, recipients, subject, urls, attachments)
      SELECT a.id, '<c' || a.id || '@bench.example>', 'ceo@evil.example', ARRAY['a@corp.example', 'b@corp.example'], 'Urgent wire transfer',
        ARRAY['http://evil.example/pay'], '[{"name": "invoice.pdf", "size": 12345, "sha256": "${sql.raw('b'.repeat(64))}"}]'::jsonb FROM a`)
  await db.execute(sql`VACUUM ANALYZE`)
  console.log(`seeded ${N} incidents (+1 with 500 alerts) in ${((performance.now() - t0) / 1000).toFixed(0)} s`)
}

const config = loadConfig({ CLAWBACK_DATA_DIR: dir, DATABASE_URL: pg.url, CLAWBACK_CONFIG: '/dev/null' })
const boss = await startBoss(pg.url, log, { supervise: false, max: 2 })
const deps: Deps = { config, db, boss, keyring: loadOrCreateMasterSecret(config.masterSecretFile), log, readiness: {} }
const app = buildApiApp(deps, mounts.api)
await createUser(db, SYSTEM, { username: 'bench.analyst', password: PASSWORD, teams: ['Analysts'] }).catch(
  () => undefined,
)
const { cookie } = await signInAs(app, 'bench.analyst')
const [{ id: big }] = (await db.execute<{ id: number }>(
  sql`SELECT id FROM incidents WHERE summary = 'Campaign with 500 alerts'`,
)) as unknown as [{ id: number }]
const day = (d: number) => new Date(Date.now() - d * 86_400_000).toISOString().slice(0, 10)

const measure = async (label: string, url: string) => {
  const times: number[] = []
  let bytes = 0
  for (let i = 0; i < RUNS + 5; i++) {
    const t0 = performance.now()
    const res = await app.request(url, { headers: { cookie } })
    const body = await res.text()
    const ms = performance.now() - t0
    if (res.status !== 200) throw new Error(`${label}: ${res.status} ${body.slice(0, 200)}`)
    bytes = body.length
    if (i >= 5) times.push(ms) // the first five warm caches and prepared statements
  }
  times.sort((a, b) => a - b)
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!.toFixed(1)
  console.log(
    `${label.padEnd(44)} p50 ${q(0.5).padStart(6)} ms  p95 ${q(0.95).padStart(6)} ms  max ${q(1).padStart(6)} ms  (${(bytes / 1024).toFixed(0)} KiB)`,
  )
}

/** The same figures for a domain call alone (no session, guard or rendering). */
const measureCall = async (label: string, fn: () => Promise<unknown>) => {
  const times: number[] = []
  for (let i = 0; i < RUNS + 5; i++) {
    const t0 = performance.now()
    await fn()
    if (i >= 5) times.push(performance.now() - t0)
  }
  times.sort((a, b) => a - b)
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!.toFixed(1)
  console.log(
    `${label.padEnd(44)} p50 ${q(0.5).padStart(6)} ms  p95 ${q(0.95).padStart(6)} ms  max ${q(1).padStart(6)} ms`,
  )
}

// the machine is shared: the load average says how much the figures are waits for a CPU
console.log(
  `incidents: ${await seeded()}, runs per page: ${RUNS}, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
)
await measure('incidents list, default view', '/incidents')
await measure(
  'incidents list, filtered (closed range+sev+q)',
  `/incidents?tab=closed&closed_from=${day(60)}&closed_to=${day(1)}&severity=High&q=invoice`,
)
await measure('incident page, 500 alerts', `/incidents/${big}`)
// The tab counts load separately (htmx, right after the page and every 20 s): shown for completeness.
await measure('tab counts fragment, default view', '/incidents/counts')
// the counts are maintained per state and scope (migration 0004); measured again with 1,500 delta
// rows not yet folded (750 single-incident state changes since the last fold), as between two folds
await db.execute(sql`SELECT incident_state_counts_compact()`)
await db.execute(sql`DO $$ BEGIN FOR k IN 1..750 LOOP
  UPDATE incidents SET state = CASE state WHEN 'new' THEN 'open'::incident_state ELSE 'new'::incident_state END
   WHERE id = 1 + (k * 7919) % ${sql.raw(String(N))};
END LOOP; END $$`)
await measure('tab counts fragment, 1,500 unfolded deltas', '/incidents/counts')
const [benchUser] = await db.execute<{ id: number; username: string }>(
  sql`SELECT id::int AS id, username FROM users WHERE username = 'bench.analyst'`,
)
const analyst = await loadUserActor(db, benchUser!)
await measureCall('  countIncidentsByState alone (same state)', () => countIncidentsByState(db, analyst, {}))
await measure(
  'tab counts fragment, filtered view',
  `/incidents/counts?tab=closed&closed_from=${day(60)}&closed_to=${day(1)}&severity=High&q=invoice`,
)
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
)
await boss.stop({ close: true, graceful: false })
await closeDb(db)
await pg.stop()
