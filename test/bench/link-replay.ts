/**
 * Linker benchmark: the PostgreSQL cost of linking, alone and steady. The all-in-one process runs
 * without its worker role (`CLAWBACK_ROLES=api,console`), so the alerts posted to it (the intake
 * bench's 2–4 KB bodies, ~30 % sharing message-ids) wait in the intake log; then this script links
 * the whole log through `intake_link_batch` on ONE connection, batch after batch, and reports that
 * backend's CPU per alert, the WAL per alert and (BENCH_PG_STATEMENTS=1) the statements inside.
 * Nothing else runs meanwhile, so it isolates the linker from the load generator and the server
 * that share the two cores in the end-to-end bench; on this VM it still moves by ±15 % between
 * runs (the machine's own speed does): compare variants interleaved over several rounds, and
 * report throughput with `intake.ts` and the kit.
 *
 *   npx node test/bench/link-replay.ts                         # 30,000 alerts, batches of 2,000
 *   BENCH_ALERTS=10000 BENCH_LINK_BATCH=300 npx node test/bench/link-replay.ts
 *   BENCH_BEFORE_SQL='DROP INDEX incident_hosts_host_idx' npx node test/bench/link-replay.ts
 *   BENCH_SETUP_SQL='ALTER TABLE alerts RESET (toast_tuple_target)' npx node test/bench/link-replay.ts
 */

import { readFileSync, rmSync } from 'node:fs'
import http from 'node:http'
import postgres from 'postgres'
import { makeBody, postAlert } from './alert-bodies.ts'
import { BENCH, benchDbUrl, ctl, runSetupSql, startServer, stopServer } from './server.ts'

const ALERTS = Number(process.env.BENCH_ALERTS ?? 30_000)
const BATCH = Number(process.env.BENCH_LINK_BATCH ?? 2000)
const PG_STATEMENTS = process.env.BENCH_PG_STATEMENTS === '1'

/** CPU seconds (user + system) a process has used so far. */
const cpuOf = (pid: number) => {
  const st = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const f = st.slice(st.lastIndexOf(')') + 2).split(' ')
  return (Number(f[11]) + Number(f[12])) / 100
}

const main = async () => {
  if (!process.env.BENCH_DATA_DIR) rmSync(BENCH.dataDir, { recursive: true, force: true })
  process.env.CLAWBACK_ROLES = 'api,console' // no linker: the log fills up
  let server = await startServer()
  try {
    if (PG_STATEMENTS) {
      const sql = postgres(benchDbUrl(), { max: 1, onnotice: () => {} })
      await sql`ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'`
      await sql`ALTER SYSTEM SET pg_stat_statements.track = 'all'`
      await sql.end()
      await stopServer(server)
      server = await startServer()
    }
    await runSetupSql()
    const url = new URL(ctl('source', 'create', '--type', 'json', '--name', `replay-${Date.now()}`).trim())
    const agent = new http.Agent({ keepAlive: true, maxSockets: 64 })
    let next = 0
    let failed = 0
    const t0 = performance.now()
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (next < ALERTS) {
          next++
          if ((await postAlert(agent, url.pathname, makeBody())) !== 200) failed++
        }
      }),
    )
    agent.destroy()
    if (failed) throw new Error(`${failed} alerts were not accepted`)
    console.log(
      `posted ${ALERTS} alerts in ${((performance.now() - t0) / 1000).toFixed(1)} s (not linked: no worker role)`,
    )

    const sql = postgres(benchDbUrl(), { max: 1, onnotice: () => {} })
    try {
      // Only the log is analyzed: tables analyzed while empty get plans (sequential scans for the
      // foreign-key checks on incidents) that the growing tables then pay for until autovacuum.
      await sql`VACUUM ANALYZE intake_log`
      // BENCH_BEFORE_SQL: statements run before the linking, to measure a variant of the schema
      // (a dropped index or constraint) against the same alerts without a migration.
      if (process.env.BENCH_BEFORE_SQL) await sql.unsafe(process.env.BENCH_BEFORE_SQL)
      await sql`CHECKPOINT`
      if (PG_STATEMENTS) {
        await sql`CREATE EXTENSION IF NOT EXISTS pg_stat_statements`
        await sql`SELECT pg_stat_statements_reset()`
      }
      const [{ pid }] = (await sql<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`) as unknown as [{ pid: number }]
      const wal = async () =>
        (
          await sql<{ bytes: number; records: number; fpi: number }[]>`
          SELECT wal_bytes::float8 AS bytes, wal_records::float8 AS records, wal_fpi::float8 AS fpi FROM pg_stat_wal`
        )[0]!
      const w0 = await wal()
      const c0 = cpuOf(pid)
      const l0 = performance.now()
      let linked = 0
      let batches = 0
      for (;;) {
        const [r] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM intake_link_batch(${BATCH}::int)`
        if (!r!.n) break
        linked += r!.n
        batches++
      }
      const seconds = (performance.now() - l0) / 1000
      const cpu = cpuOf(pid) - c0
      const w1 = await wal()
      const per = (x: number) => x / Math.max(linked, 1)
      console.log(
        `linked ${linked} alerts in ${batches} batches of up to ${BATCH} on one connection: ${(linked / seconds).toFixed(0)} alerts/s; backend cpu ${(per(cpu) * 1e6).toFixed(1)} µs per alert (wall ${(per(seconds) * 1e6).toFixed(1)} µs)`,
      )
      console.log(
        `WAL per alert: ${(per(w1.bytes - w0.bytes) / 1024).toFixed(2)} KiB, ${per(w1.records - w0.records).toFixed(1)} records, ${per(w1.fpi - w0.fpi).toFixed(2)} full-page images`,
      )
      const [rows] = await sql<{ incidents: number; hosts: number; users: number }[]>`
        SELECT (SELECT count(*) FROM incidents)::int AS incidents, (SELECT count(*) FROM incident_hosts)::int AS hosts,
          (SELECT count(*) FROM incident_users)::int AS users`
      console.log(
        `per alert: ${per(rows!.incidents).toFixed(2)} new incidents, ${per(rows!.hosts).toFixed(2)} incident hosts, ${per(rows!.users).toFixed(2)} incident users`,
      )
      // Updates of incidents that stayed on their page without new index entries (HOT)
      await sql`SELECT pg_stat_force_next_flush()` // flushed as this statement's transaction ends
      const [upd] = await sql<{ upd: number; hot: number }[]>`
        SELECT n_tup_upd::int AS upd, n_tup_hot_upd::int AS hot FROM pg_stat_user_tables WHERE relname = 'incidents'`
      console.log(
        `incident updates: ${per(upd!.upd).toFixed(2)} per alert, ${upd!.upd ? ((100 * upd!.hot) / upd!.upd).toFixed(0) : 0} % HOT`,
      )
      if (PG_STATEMENTS) {
        console.log('pg_stat_statements (µs per alert, calls, top-level?, query):')
        const top = await sql<{ ms: number; calls: string; toplevel: boolean; query: string }[]>`
          SELECT total_exec_time AS ms, calls::text, toplevel, query FROM pg_stat_statements
          WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY total_exec_time DESC LIMIT 12`
        for (const r of top)
          console.log(
            `  ${((r.ms * 1000) / Math.max(linked, 1)).toFixed(1).padStart(7)}  ${r.calls.padStart(7)}  ${r.toplevel ? 'top' : 'nested'}  ${r.query.replace(/\s+/g, ' ').slice(0, 100)}`,
          )
      }
    } finally {
      await sql.end()
    }
  } finally {
    await stopServer(server)
    if (!process.env.BENCH_DATA_DIR) rmSync(BENCH.dataDir, { recursive: true, force: true })
  }
}

await main()
