/**
 * Intake benchmark: JSON alerts (2–4 KB, ~30 % sharing message-ids) posted over a fixed number of
 * keep-alive connections to the all-in-one process with embedded PostgreSQL (synchronous commit
 * on), for BENCH_SECONDS (default 60) after a short warm-up. Then the raw PostgreSQL insert rate
 * of the same rows (multi-row INSERTs into a copy of `alerts`, same durability) in the same run.
 *
 * Intake answers once an alert is in the durable intake log; the linker (worker role, same
 * process) links it afterwards. After the load the bench waits for the intake log and the
 * alert.match jobs to drain and reports the end-to-end rate (acknowledged ÷ (load + drain)) and
 * the CPU per alert of the whole pipeline. BENCH_LAG_OFFERED=2000 adds a paced phase
 * (BENCH_LAG_SECONDS, default 20) at that offered rate and reports the visibility lag (ack →
 * linked) p99 from the server's histogram.
 *
 *   npx node test/bench/intake.ts                       # full: 60 s, 64 connections
 *   BENCH_SECONDS=10 npx node test/bench/intake.ts      # quick
 *   BENCH_MATCH_CONDITIONS=200 BENCH_LAG_OFFERED=2000 npx node test/bench/intake.ts
 *   BENCH_PG_STATEMENTS=1 npx node test/bench/intake.ts   # + PostgreSQL time per stage
 *   BENCH_SETUP_SQL='...' npx node test/bench/intake.ts    # a schema variant (server.ts runSetupSql)
 */

import { readdirSync, readFileSync, rmSync } from 'node:fs'
import http from 'node:http'
import postgres from 'postgres'
import { makeBody, postAlert } from './alert-bodies.ts'
import { BENCH, benchDbUrl, ctl, pct, runSetupSql, startServer, stopServer } from './server.ts'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 60)
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 3)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64)

/** CPU seconds (user + system) used so far by each process in the tree under `root`, by name. */
const treeCpu = (root: number) => {
  const tick = 100 // USER_HZ on Linux
  const procs = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .flatMap((d) => {
      try {
        const st = readFileSync(`/proc/${d}/stat`, 'utf8')
        const name = st.slice(st.indexOf('(') + 1, st.lastIndexOf(')'))
        const f = st.slice(st.lastIndexOf(')') + 2).split(' ')
        return [{ pid: Number(d), ppid: Number(f[1]), name, cpu: (Number(f[11]) + Number(f[12])) / tick }]
      } catch {
        return []
      }
    })
  const inTree = new Set([root])
  for (let grew = true; grew; ) {
    grew = false
    for (const p of procs)
      if (!inTree.has(p.pid) && inTree.has(p.ppid)) {
        inTree.add(p.pid)
        grew = true
      }
  }
  let node = 0
  let pg = 0
  // PostgreSQL's own background processes by their title (`postgres: walwriter`); the rest are
  // client backends (intake appends, the linker, jobs). A process that exits takes its CPU along.
  const pgBackground: Record<string, number> = {}
  for (const p of procs) {
    if (!inTree.has(p.pid)) continue
    if (!p.name.startsWith('postgres')) {
      node += p.cpu
      continue
    }
    pg += p.cpu
    let title = ''
    try {
      title = readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').replace(/\0/g, ' ')
    } catch {}
    const role = /^postgres: (checkpointer|background writer|walwriter|autovacuum|logical replication)/.exec(title)?.[1]
    if (role) pgBackground[role] = (pgBackground[role] ?? 0) + p.cpu
  }
  return { node, pg, pgBackground, self: (process.cpuUsage().user + process.cpuUsage().system) / 1e6 }
}

/**
 * Seconds the process's main thread (the event loop: the one serial stage of the accept path) has
 * run on a core and waited runnable for one, from /proc/<pid>/task/<pid>/schedstat (nanoseconds).
 * The rest of the wall time it was idle: every request was waiting on PostgreSQL or the network.
 */
const mainThreadSched = (pid: number) => {
  try {
    const [run, wait] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ').map(Number)
    return { run: run! / 1e9, wait: wait! / 1e9 }
  } catch {
    return null
  }
}

/**
 * BENCH_MATCH_CONDITIONS=200: that many enabled match conditions on the bench source (sender and URL
 * domains, subjects, severities, dispositions — as test/bench/match.ts), none with responses, so the
 * figure is the cost of evaluating them in the alert.match jobs beside intake.
 */
const MATCH_CONDITIONS = Number(process.env.BENCH_MATCH_CONDITIONS ?? 0)
const addMatchConditions = async (n: number) => {
  if (n === 0) return
  const sql = postgres(benchDbUrl(), { max: 1, onnotice: () => {} })
  const [{ id }] = (await sql`SELECT max(id)::int AS id FROM sources`) as unknown as [{ id: number }]
  const rows = Array.from({ length: n }, (_, i) => ({
    source_id: id,
    position: i,
    name: `bench ${i}`,
    condition: [
      {
        all: [
          { field: 'classification', op: 'eq', value: 'malware' },
          { field: 'email.sender_domain', op: 'eq', value: `d${i}.example` },
        ],
      },
      {
        any: [
          { field: 'email.subject', op: 'contains', value: `lure ${i}` },
          { field: 'email.url_domain', op: 'eq', value: `x${i}.example` },
        ],
      },
      {
        all: [
          { field: 'severity', op: 'in', value: ['critical'] },
          { field: 'incident.score', op: 'gte', value: 90 + (i % 10) },
        ],
      },
      { field: 'email.attachment_sha256', op: 'eq', value: String(i).padStart(64, '0') },
      {
        all: [
          { field: 'incident.abuse_disposition', op: 'eq', value: 'malicious' },
          { field: 'custom.region', op: 'eq', value: `r${i}` },
        ],
      },
    ][i % 5],
    responses: [],
    is_enabled: true,
  }))
  await sql`INSERT INTO match_conditions ${sql(
    rows.map((r) => ({ ...r, condition: sql.json(r.condition as never), responses: sql.json([]) })),
    'source_id',
    'position',
    'name',
    'condition',
    'responses',
    'is_enabled',
  )}`
  await sql.end()
  console.log(`match conditions: ${n} enabled on the bench source`)
}

/**
 * BENCH_PG_STATEMENTS=1: PostgreSQL time per stage from pg_stat_statements (loaded into the bench's
 * embedded server by ALTER SYSTEM and a restart; nested statements tracked), reset when the
 * measurement starts and read after the drain. Execution time only (COMMIT's fsync wait is under
 * "commit"), so it is where PostgreSQL spends its effort per alert, not the whole CPU figure.
 */
const PG_STATEMENTS = process.env.BENCH_PG_STATEMENTS === '1'
const enableStatements = async (server: Awaited<ReturnType<typeof startServer>>) => {
  const sql = postgres(benchDbUrl(), { max: 1, onnotice: () => {} })
  await sql`ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'`
  await sql`ALTER SYSTEM SET pg_stat_statements.track = 'all'`
  await sql`ALTER SYSTEM SET track_io_timing = on`
  await sql.end()
  await stopServer(server)
  const restarted = await startServer()
  const again = postgres(benchDbUrl(), { max: 1, onnotice: () => {} })
  await again`CREATE EXTENSION IF NOT EXISTS pg_stat_statements`
  await again.end()
  return restarted
}
const STAGES: [string, RegExp][] = [
  ['accept: intake log append', /intake_log/i],
  [
    'link: intake_link_batch and its statements',
    /intake_link|incident_hosts|incident_users|incident_history|INSERT INTO (alerts|alert_emails|incidents)\b/i,
  ],
  ['match: alert.match', /match_evaluations|alert_emails e WHERE e.alert_id|match_conditions/i],
  ['jobs: pg-boss', /pgboss\./i],
  ['commit', /^\s*(COMMIT|BEGIN)/i],
]
const reportStatements = async (sql: postgres.Sql, alerts: number) => {
  const rows = await sql<{ query: string; calls: string; ms: number; rows: string; toplevel: boolean }[]>`
    SELECT query, calls, total_exec_time AS ms, rows, toplevel FROM pg_stat_statements
    WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
    ORDER BY total_exec_time DESC`
  const perAlert = (ms: number) => ((ms * 1000) / Math.max(alerts, 1)).toFixed(1)
  const stages = new Map<string, number>()
  for (const r of rows.filter((r) => r.toplevel)) {
    const stage = STAGES.find(([, re]) => re.test(r.query))?.[0] ?? 'other'
    stages.set(stage, (stages.get(stage) ?? 0) + r.ms)
  }
  console.log(
    `pg_stat_statements, top-level execution µs per alert by stage: ${[...stages]
      .sort((a, b) => b[1] - a[1])
      .map(([k, ms]) => `${k} ${perAlert(ms)}`)
      .join('; ')}`,
  )
  console.log('pg_stat_statements, top statements (µs per alert, calls, rows, top-level?, query):')
  for (const r of rows.slice(0, Number(process.env.BENCH_PG_STATEMENTS_TOP ?? 15)))
    console.log(
      `  ${perAlert(r.ms).padStart(7)}  ${String(r.calls).padStart(7)}  ${String(r.rows).padStart(8)}  ${r.toplevel ? 'top' : 'nested'}  ${r.query.replace(/\s+/g, ' ').slice(0, 110)}`,
    )
}

/** WAL written and checkpoints so far (pg_stat_wal, pg_stat_checkpointer: PostgreSQL 17). */
const walStats = async () => {
  const sql = postgres(benchDbUrl(), { max: 1, onnotice: () => {} })
  try {
    const [w] = await sql<
      {
        bytes: string
        records: string
        fpi: string
        buffersFull: string
        syncs: string
        checkpoints: string
        requested: string
      }[]
    >`
      SELECT wal_bytes::text AS bytes, wal_records::text AS records, wal_fpi::text AS fpi,
        wal_buffers_full::text AS "buffersFull", wal_sync::text AS syncs,
        (SELECT (num_timed + num_requested)::text FROM pg_stat_checkpointer) AS checkpoints,
        (SELECT num_requested::text FROM pg_stat_checkpointer) AS requested
      FROM pg_stat_wal`
    return {
      bytes: Number(w!.bytes),
      records: Number(w!.records),
      fpi: Number(w!.fpi),
      buffersFull: Number(w!.buffersFull),
      syncs: Number(w!.syncs),
      checkpoints: Number(w!.checkpoints),
      requested: Number(w!.requested),
    }
  } finally {
    await sql.end()
  }
}

const main = async () => {
  if (!process.env.BENCH_DATA_DIR) rmSync(BENCH.dataDir, { recursive: true, force: true })
  let server = await startServer()
  if (PG_STATEMENTS) server = await enableStatements(server)
  try {
    await runSetupSql()
    const url = new URL(ctl('source', 'create', '--type', 'json', '--name', `bench-${Date.now()}`).trim())
    await addMatchConditions(MATCH_CONDITIONS)
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS })
    const post = (body: string) => postAlert(agent, url.pathname, body)
    const latencies: number[] = []
    const bodies: string[] = []
    let ok = 0
    let failed = 0
    let bytes = 0
    let measuring = false
    let stop = false
    // Bodies are made before the run so the load generator (on the same two cores) spends its CPU
    // on HTTP, not on building JSON; they are cycled if the run outlasts them.
    const pregenerated = Array.from({ length: Number(process.env.BENCH_BODIES ?? 60_000) }, makeBody)
    let nextBody = 0
    const loop = async () => {
      while (!stop) {
        const body = pregenerated[nextBody++ % pregenerated.length]!
        const t0 = performance.now()
        const status = await post(body).catch(() => 0)
        const ms = performance.now() - t0
        if (!measuring) continue
        if (status === 200) {
          ok++
          latencies.push(ms)
          bytes += body.length
          if (bodies.length < 200_000) bodies.push(body)
        } else {
          failed++
          if (failed <= 3) console.error(`status ${status}`)
        }
      }
    }
    const loops = Array.from({ length: CONNECTIONS }, loop)
    await new Promise((r) => setTimeout(r, WARMUP * 1000))
    if (PG_STATEMENTS) {
      const reset = postgres(benchDbUrl(), { max: 1, onnotice: () => {} })
      await reset`SELECT pg_stat_statements_reset()`
      await reset.end()
    }
    const wal0 = await walStats()
    measuring = true
    const cpu0 = treeCpu(server.pid!)
    const sched0 = mainThreadSched(server.pid!)
    const t0 = performance.now()
    await new Promise((r) => setTimeout(r, SECONDS * 1000))
    measuring = false
    const cpu1 = treeCpu(server.pid!)
    const sched1 = mainThreadSched(server.pid!)
    const elapsed = (performance.now() - t0) / 1000
    stop = true
    await Promise.all(loops)
    agent.destroy()
    latencies.sort((a, b) => a - b)
    const rate = ok / elapsed
    console.log(
      `intake: ${ok} alerts in ${elapsed.toFixed(1)} s over ${CONNECTIONS} connections = ${rate.toFixed(0)} alerts/s (failed ${failed}), avg body ${(bytes / Math.max(ok, 1)).toFixed(0)} B`,
    )
    console.log(
      `intake latency ms: p50 ${pct(latencies, 50).toFixed(1)}  p95 ${pct(latencies, 95).toFixed(1)}  p99 ${pct(latencies, 99).toFixed(1)}  max ${latencies.at(-1)?.toFixed(1)}`,
    )
    const perAlert = (a: number, b: number) => (((b - a) / Math.max(ok, 1)) * 1e6).toFixed(0)
    console.log(
      `cpu per alert (µs, user+system): server process ${perAlert(cpu0.node, cpu1.node)}, PostgreSQL ${perAlert(cpu0.pg, cpu1.pg)}, load generator ${perAlert(cpu0.self, cpu1.self)}`,
    )
    console.log(
      `  of PostgreSQL's, its background processes: ${Object.keys(cpu1.pgBackground)
        .map((k) => `${k} ${perAlert(cpu0.pgBackground[k] ?? 0, cpu1.pgBackground[k]!)}`)
        .join(', ')} (the rest: client backends — appends, linker, jobs)`,
    )
    if (sched0 && sched1) {
      const share = (x: number) => `${((100 * x) / elapsed).toFixed(0)} %`
      const run = sched1.run - sched0.run
      const wait = sched1.wait - sched0.wait
      console.log(
        `server main thread (event loop) over the load: running ${share(run)}, runnable but waiting for a core ${share(wait)}, idle ${share(Math.max(elapsed - run - wait, 0))}`,
      )
    }
    const key = ctl('api-key', 'create', '--name', `bench-metrics-${Date.now()}`, '--team', 'Admins').trim()
    const m = await (await fetch(`http://127.0.0.1:${BENCH.port}/metrics`, { headers: { authorization: key } })).text()
    const batch =
      /clawback_intake_batch_seconds_sum\{\} ([\d.e+-]+)\nclawback_intake_batch_seconds_count\{\} (\d+)/.exec(m)
    if (batch)
      console.log(
        `server: ${batch[2]} group-commit transactions, mean ${((Number(batch[1]) / Number(batch[2])) * 1000).toFixed(1)} ms, mean ${(ok / Number(batch[2])).toFixed(1)} alerts per transaction (incl. warm-up)`,
      )
    console.log(
      m
        .split('\n')
        .filter((l) => l.startsWith('clawback_job_queue_jobs{queue="alert.match"'))
        .join('  '),
    )
    console.log(
      `targets: >= 5000 alerts/s -> ${rate >= 5000 ? 'MET' : `MISSED by ${(5000 - rate).toFixed(0)}/s`}; p99 <= 50 ms -> ${pct(latencies, 99) <= 50 ? 'MET' : 'MISSED'}`,
    )

    const sql = postgres(benchDbUrl(), { max: 4, onnotice: () => {} })
    // End to end: how long the linker (intake log) and matching (alert.match jobs, this process's
    // worker) trail the load; the raw insert below then has PostgreSQL to itself.
    if (!/^api$/.test(process.env.CLAWBACK_ROLES ?? '')) {
      const backlog = async () => {
        const [r] = await sql<{ log: string; jobs: string }[]>`SELECT
          (SELECT count(*) FROM intake_log) AS log,
          (SELECT count(*) FROM pgboss.job WHERE name = 'alert.match' AND state IN ('created', 'retry', 'active')) AS jobs`
        return { log: Number(r!.log), jobs: Number(r!.jobs) }
      }
      const d0 = performance.now()
      const left = await backlog()
      let n = left
      let logDrained = n.log === 0 ? 0 : Number.NaN
      while ((n.log > 0 || n.jobs > 0) && performance.now() - d0 < 600_000) {
        await new Promise((r) => setTimeout(r, 100))
        n = await backlog()
        if (n.log === 0 && Number.isNaN(logDrained)) logDrained = (performance.now() - d0) / 1000
      }
      const drain = (performance.now() - d0) / 1000
      const cpu2 = treeCpu(server.pid!)
      console.log(
        `backlog when the load stopped: ${left.log} alerts in the intake log (linked ${logDrained.toFixed(1)} s later), ${left.jobs} alert.match jobs (${n.jobs === 0 ? `drained ${drain.toFixed(1)} s later` : `${n.jobs} still queued after 600 s`})`,
      )
      const e2e = ok / (elapsed + drain)
      console.log(
        `end to end (acknowledged ÷ (load + drain), linking + ${MATCH_CONDITIONS} match conditions): ${ok} / (${elapsed.toFixed(1)} + ${drain.toFixed(1)}) s = ${e2e.toFixed(0)} alerts/s; target >= 3000 -> ${e2e >= 3000 ? 'MET' : `MISSED by ${(3000 - e2e).toFixed(0)}/s`}`,
      )
      const pipe = ((cpu2.node - cpu0.node + cpu2.pg - cpu0.pg) / Math.max(ok, 1)) * 1e3
      console.log(
        `pipeline cpu per alert (load + drain; server process incl. linker and workers + PostgreSQL): ${pipe.toFixed(3)} ms (server ${perAlert(cpu0.node, cpu2.node)} µs, PostgreSQL ${perAlert(cpu0.pg, cpu2.pg)} µs); target <= 0.6 ms -> ${pipe <= 0.6 ? 'MET' : `MISSED by ${(pipe - 0.6).toFixed(3)} ms`}`,
      )
      const wal1 = await walStats()
      console.log(
        `WAL per alert (load + drain): ${((wal1.bytes - wal0.bytes) / Math.max(ok, 1) / 1024).toFixed(1)} KiB, ${((wal1.records - wal0.records) / Math.max(ok, 1)).toFixed(1)} records, ${((wal1.fpi - wal0.fpi) / Math.max(ok, 1)).toFixed(2)} full-page images; checkpoints ${wal1.checkpoints - wal0.checkpoints} (requested ${wal1.requested - wal0.requested}); WAL flushes ${wal1.syncs - wal0.syncs}, WAL writes forced by full WAL buffers ${wal1.buffersFull - wal0.buffersFull}`,
      )
      const linked = /clawback_intake_linked_total\{\} (\d+)/.exec(m)
      if (linked) console.log(`linker: ${linked[1]} alerts linked when the load stopped (incl. warm-up)`)
      if (PG_STATEMENTS) await reportStatements(sql, ok)
    }

    const LAG_OFFERED = Number(process.env.BENCH_LAG_OFFERED ?? 0)
    if (LAG_OFFERED > 0) {
      const lagSeconds = Number(process.env.BENCH_LAG_SECONDS ?? 20)
      const lagBuckets = async () => {
        const text = await (
          await fetch(`http://127.0.0.1:${BENCH.port}/metrics`, { headers: { authorization: key } })
        ).text()
        return [...text.matchAll(/clawback_intake_visibility_lag_seconds_bucket\{le="([^"]+)"\} (\d+)/g)].map(
          (x) => [x[1]!, Number(x[2])] as const,
        )
      }
      const b0 = await lagBuckets()
      const paced = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS })
      const pacedPost = (body: string) =>
        new Promise<number>((resolve) => {
          const req = http.request(
            {
              host: '127.0.0.1',
              port: BENCH.port,
              path: url.pathname,
              method: 'POST',
              agent: paced,
              headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
            },
            (res) => {
              res.resume()
              res.on('end', () => resolve(res.statusCode ?? 0))
            },
          )
          req.on('error', () => resolve(0))
          req.end(body)
        })
      const p0 = performance.now()
      let sent = 0
      let acked = 0
      const inflight: Promise<void>[] = []
      while (performance.now() - p0 < lagSeconds * 1000) {
        const due = Math.floor(((performance.now() - p0) / 1000) * LAG_OFFERED)
        for (; sent < due; sent++)
          inflight.push(
            pacedPost(pregenerated[nextBody++ % pregenerated.length]!).then((st) => {
              if (st === 200) acked++
            }),
          )
        await new Promise((r) => setTimeout(r, 5))
      }
      await Promise.all(inflight)
      const pacedSeconds = (performance.now() - p0) / 1000
      for (let i = 0; i < 600; i++) {
        const [r] = await sql<{ n: string }[]>`SELECT count(*) AS n FROM intake_log`
        if (Number(r!.n) === 0) break
        await new Promise((r) => setTimeout(r, 100))
      }
      paced.destroy()
      const b1 = await lagBuckets()
      const total = b1.at(-1)![1] - (b0.at(-1)?.[1] ?? 0)
      const le = b1.find(([, c], i) => c - (b0[i]?.[1] ?? 0) >= 0.99 * total)?.[0]
      console.log(
        `visibility lag at ${LAG_OFFERED}/s offered for ${lagSeconds} s: ${acked} of ${sent} acknowledged in ${pacedSeconds.toFixed(1)} s (${(acked / pacedSeconds).toFixed(0)}/s achieved), ${total} linked; p99 <= ${le} s (histogram bucket); target <= 2 s -> ${le !== undefined && Number(le) <= 2 ? 'MET' : 'MISSED'}`,
      )
    }

    // Raw PostgreSQL: the same rows inserted directly, batches of 400 over 4 connections, same server.
    await sql.unsafe(
      'DROP TABLE IF EXISTS bench_raw_alerts; CREATE UNLOGGED TABLE IF NOT EXISTS bench_dummy (x int); DROP TABLE bench_dummy',
    )
    await sql.unsafe('CREATE TABLE bench_raw_alerts (LIKE alerts INCLUDING DEFAULTS INCLUDING IDENTITY)')
    const sample = bodies.slice(0, Math.min(bodies.length, Math.max(20_000, Math.round(rate * 10))))
    const rows = sample.map((raw) => {
      const b = JSON.parse(raw)
      return {
        source_id: 1,
        raw,
        classification: b.classification,
        severity: b.severity,
        summary: b.summary,
        attackers: JSON.stringify([b.attacker]),
        targets: JSON.stringify([b.target]),
        threat_info: JSON.stringify(b.threat_info),
        custom_fields: JSON.stringify(b.custom_fields),
      }
    })
    const rc0 = treeCpu(server.pid!)
    const r0 = performance.now()
    let next = 0
    const worker = async () => {
      while (next < rows.length) {
        const batch = rows.slice(next, next + 400)
        next += 400
        await sql`INSERT INTO bench_raw_alerts ${sql(batch, 'source_id', 'raw', 'classification', 'severity', 'summary', 'attackers', 'targets', 'threat_info', 'custom_fields')}`
      }
    }
    await Promise.all(Array.from({ length: 4 }, worker))
    const rawRate = rows.length / ((performance.now() - r0) / 1000)
    const rc1 = treeCpu(server.pid!)
    await sql.unsafe('DROP TABLE bench_raw_alerts')
    await sql.end()
    console.log(
      `raw PostgreSQL insert of the same rows: ${rows.length} rows at ${rawRate.toFixed(0)} rows/s; intake/raw ratio ${(rate / rawRate).toFixed(2)}`,
    )
    console.log(
      `raw insert cpu per row (µs): PostgreSQL ${(((rc1.pg - rc0.pg) / rows.length) * 1e6).toFixed(0)}, client ${(((rc1.self - rc0.self) / rows.length) * 1e6).toFixed(0)}`,
    )
  } finally {
    await stopServer(server)
  }
}

await main()
