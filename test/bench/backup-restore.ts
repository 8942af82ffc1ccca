/**
 * Backup and restore of a database holding 1,000,000 incidents (targets: backup ≤ 60 s, restore ≤
 * 120 s on the 2-core machine). Starts its own embedded PostgreSQL 17 on a fresh data directory,
 * fills `incidents` with one generate_series INSERT, then times `createBackup` and `restoreBackup`
 * (verify + new database + COPY + indexes + row-count check + switch) and checks the counts.
 *
 *   npx node test/bench/backup-restore.ts            (INCIDENTS=1000000 by default)
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createBackup } from '../../appliance/src/backup/create-backup.ts'
import { restoreBackup } from '../../appliance/src/backup/restore-backup.ts'
import { loadOrCreateMasterSecret } from '../../core/src/crypto/master-secret.ts'
import { closeDb, openDb } from '../../core/src/db/client.ts'
import { startEmbeddedPostgres } from '../../core/src/db/embedded.ts'
import { migrate } from '../../core/src/db/migrate.ts'
import { ensureBuiltins } from '../../core/src/domain/setup/ensure-builtins.ts'
import { startBoss } from '../../core/src/jobs/boss.ts'
import { createLogger } from '../../core/src/log.ts'
import { SYSTEM } from '../../core/src/policy/actor.ts'
import { freePort } from '../harness/process.ts'

const n = Number(process.env.INCIDENTS ?? 1_000_000)
const dataDir = mkdtempSync(path.join(tmpdir(), 'clawback-bench-backup-'))
const log = createLogger('warn')
const pg = await startEmbeddedPostgres(dataDir, await freePort(), log)
try {
  let db = openDb(pg.url, { max: 4 })
  await migrate(db.$client)
  await ensureBuiltins(db)
  const boss = await startBoss(pg.url, log, { supervise: false, max: 1 })
  await boss.stop({ close: true, graceful: false })
  const keyring = loadOrCreateMasterSecret(path.join(dataDir, 'master.key'))
  let t = performance.now()
  await db.$client.unsafe(`INSERT INTO incidents (state, type, severity, score, summary, description, created_at, updated_at)
    SELECT (ARRAY['new','open','assigned','closed','ignored'])[1 + g % 5]::incident_state, 'Phishing', (ARRAY['Low','Medium','High','Critical'])[1 + g % 4], g % 100,
           'Reported phish ' || g || ' from sender' || (g % 997) || '@example.test', 'User-reported message; links rewritten; attachment hash ' || md5(g::text),
           now() - (g || ' seconds')::interval, now()
      FROM generate_series(1, ${n}) g`)
  await db.$client.unsafe('VACUUM ANALYZE incidents')
  const [{ size }] =
    (await db.$client`SELECT pg_size_pretty(pg_database_size(current_database())) AS size`) as unknown as [
      { size: string },
    ]
  console.log(`generated ${n} incidents in ${((performance.now() - t) / 1000).toFixed(1)} s; database ${size}`)

  t = performance.now()
  const backup = await createBackup({ db, keyring, dataDir, actor: SYSTEM })
  const backupS = (performance.now() - t) / 1000
  console.log(`backup: ${backupS.toFixed(1)} s, file ${(backup.size / 2 ** 20).toFixed(1)} MiB (target ≤ 60 s)`)

  await closeDb(db)
  t = performance.now()
  const restored = await restoreBackup({ file: backup.file, keyring, dataDir, databaseUrl: pg.url, actor: SYSTEM })
  const restoreS = (performance.now() - t) / 1000
  console.log(`restore: ${restoreS.toFixed(1)} s (verify + load + indexes + checks + switch; target ≤ 120 s)`)

  db = openDb(pg.url, { max: 1 })
  const [{ c }] = (await db.$client`SELECT count(*)::int AS c FROM incidents`) as unknown as [{ c: number }]
  await closeDb(db)
  if (c !== n) throw new Error(`restored ${c} incidents, expected ${n}`)
  console.log(`restored database holds ${c} incidents; previous database kept as ${restored.previousDatabase}`)
  console.log(`RESULT backup_s=${backupS.toFixed(1)} restore_s=${restoreS.toFixed(1)} incidents=${n}`)
} finally {
  await pg.stop()
  rmSync(dataDir, { recursive: true, force: true })
}
