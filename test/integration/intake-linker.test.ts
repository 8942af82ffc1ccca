import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_LINKING_RULES, linkKeyOf } from '../../core/src/domain/alerts/link-key.ts'
import { appendIntake, INTAKE_CHANNEL, wakeLinkers } from '../../core/src/domain/intake/append-intake.ts'
import { getIntakeBacklog } from '../../core/src/domain/intake/get-intake-backlog.ts'
import { linkIntakeBatch } from '../../core/src/domain/intake/link-intake-batch.ts'
import { normalizeAlert } from '../../core/src/domain/intake/normalize-alert.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { makeApiKey } from '../harness/factories.ts'
import { alertBody, drainIntake, makeJsonSource } from '../harness/intake.ts'
import { runNode } from '../harness/process.ts'

// The set-based linker (issue 16) on its own: these apps run no linker of their own, so each test
// decides who links the intake log and when.
let t: TestApp
beforeAll(async () => {
  t = await startTestApp({}, { linker: false })
})
afterAll(() => t.close())

/**
 * `n` alerts of one source; alert i carries summary `<tag>-<i>` and the message-id `keyOf(i)`
 * (by default one of `keys` ids, round robin).
 */
const pending = (sourceId: number, tag: string, n: number, keys: number, keyOf = (i: number) => String(i % keys)) =>
  Array.from({ length: n }, (_, i) => {
    const body = alertBody({ summary: `${tag}-${i}` }, { message_id: `<${tag}-k${keyOf(i)}@x>` })
    const alert = normalizeAlert(body)
    return { sourceId, raw: JSON.stringify(body), alert, link: linkKeyOf(alert, DEFAULT_LINKING_RULES) }
  })

const q = async <T>(query: ReturnType<typeof sql>) => (await t.deps.db.execute(query)) as unknown as T[]

/** Every alert of `tag` linked once; one incident per key, opened by the key's first alert. */
const expectLinkedOnce = async (tag: string, n: number, keys: number) => {
  const rows = await q<{ n: number; unlinked: number }>(sql`
    SELECT count(*)::int AS n, count(*) FILTER (WHERE incident_id IS NULL)::int AS unlinked
    FROM alerts WHERE summary LIKE ${`${tag}-%`}`)
  expect(rows[0]).toEqual({ n, unlinked: 0 })
  const dup = await q(
    sql`SELECT summary FROM alerts WHERE summary LIKE ${`${tag}-%`} GROUP BY summary HAVING count(*) > 1`,
  )
  expect(dup).toEqual([])
  const incidents = await q<{ incident_id: string; alerts: number; keys: number }>(sql`
    SELECT a.incident_id, count(*)::int AS alerts, count(DISTINCT e.message_id)::int AS keys
    FROM alerts a JOIN alert_emails e ON e.alert_id = a.id
    WHERE a.summary LIKE ${`${tag}-%`} GROUP BY a.incident_id`)
  expect(incidents.length).toBe(keys)
  expect(incidents.every((i) => i.keys === 1)).toBe(true)
  // Arrival order per key: each incident was opened by (carries the summary of) its first alert.
  const misordered = await q(sql`
    SELECT i.id FROM incidents i
    JOIN LATERAL (SELECT a.summary FROM alerts a WHERE a.incident_id = i.id ORDER BY a.id LIMIT 1) f ON true
    WHERE f.summary LIKE ${`${tag}-%`} AND i.summary <> f.summary`)
  expect(misordered).toEqual([])
  const history = await q<{ n: number }>(sql`
    SELECT count(*)::int AS n FROM incident_history h
    WHERE h.history_type = 'created' AND h.incident_id IN (SELECT incident_id FROM alerts WHERE summary LIKE ${`${tag}-%`})`)
  expect(history[0]!.n).toBe(keys)
}

describe('intake linker', () => {
  it('shows the backlog and the visibility lag on /metrics', async () => {
    const key = await makeApiKey(t.deps.db, ['Admins'])
    const metricsText = async () => {
      const res = await t.api.request('/metrics', { headers: { authorization: key } })
      expect(res.status).toBe(200)
      return res.text()
    }
    const lagCount = (text: string) =>
      Number(/clawback_intake_visibility_lag_seconds_count\{\} (\d+)/.exec(text)?.[1] ?? 0)
    const { source, post } = await makeJsonSource(t)
    const before = lagCount(await metricsText())
    for (let i = 0; i < 3; i++) expect((await post(alertBody(), {}, { wait: false })).status).toBe(200)
    await appendIntake(t.deps.db, pending(source.id, 'metrics', 2, 2))
    await new Promise((r) => setTimeout(r, 20))
    const waiting = await metricsText()
    expect(waiting).toMatch(/^clawback_intake_backlog_alerts 5$/m)
    const oldest = Number(/^clawback_intake_backlog_oldest_seconds (\S+)$/m.exec(waiting)?.[1])
    expect(oldest).toBeGreaterThan(0)
    await drainIntake(t)
    const drained = await metricsText()
    expect(drained).toMatch(/^clawback_intake_backlog_alerts 0$/m)
    expect(drained).toMatch(/^clawback_intake_backlog_oldest_seconds 0$/m)
    expect(lagCount(drained) - before).toBe(5)
  })

  it('replaying log rows whose alerts are linked already writes nothing twice', async () => {
    const { source } = await makeJsonSource(t)
    const appended = await appendIntake(t.deps.db, pending(source.id, 'replay', 30, 10))
    expect(appended.length).toBe(30)
    const saved = await q<{ alert_id: string; source_id: string; raw: string; item: unknown }>(
      sql`SELECT alert_id, source_id, raw, item FROM intake_log ORDER BY id`,
    )
    expect(saved.length).toBe(30)
    await drainIntake(t)
    await expectLinkedOnce('replay', 30, 10)
    const counts = () =>
      q(sql`SELECT (SELECT count(*) FROM alerts)::int AS a, (SELECT count(*) FROM incidents)::int AS i,
        (SELECT count(*) FROM incident_history)::int AS h, (SELECT count(*) FROM incident_hosts)::int AS ho,
        (SELECT count(*) FROM incident_users)::int AS u, (SELECT count(*) FROM alert_emails)::int AS e,
        (SELECT count(*) FROM incident_link_keys)::int AS k`)
    const before = await counts()
    // The same rows again (a replay: an append retried after its commit was in fact durable, a restore).
    for (const r of saved)
      await t.deps.db.execute(
        sql`INSERT INTO intake_log (alert_id, source_id, raw, item) VALUES (${r.alert_id}, ${r.source_id}, ${r.raw}, ${JSON.stringify(r.item)}::jsonb)`,
      )
    expect(await linkIntakeBatch(t.deps.db, t.deps.boss)).toEqual([])
    expect(await counts()).toEqual(before)
    expect((await getIntakeBacklog(t.deps.db)).alerts).toBe(0)
    await expectLinkedOnce('replay', 30, 10)
  })

  it('deletes the rows it links under the transaction id that claimed them, so later claims step over them', async () => {
    // A row locked by one xid and deleted by another gets a MultiXact xmax, which PostgreSQL never
    // treats as surely dead in an index scan: every later claim fetched its page until VACUUM.
    await t.deps.db.execute(sql`CREATE EXTENSION IF NOT EXISTS pageinspect`)
    await t.deps.db.execute(sql`VACUUM intake_log`)
    await t.deps.db.execute(sql`ALTER TABLE intake_log SET (autovacuum_enabled = false)`)
    try {
      const { source } = await makeJsonSource(t)
      await appendIntake(t.deps.db, pending(source.id, 'onexid', 60, 20))
      expect((await linkIntakeBatch(t.deps.db, t.deps.boss, 25)).length).toBe(25)
      expect((await linkIntakeBatch(t.deps.db, t.deps.boss)).length).toBe(35)
      await expectLinkedOnce('onexid', 60, 20)
      const [tuples] = await q<{ deleted: number; multi: number }>(sql`
        SELECT count(*) FILTER (WHERE p.t_xmax <> '0')::int AS deleted,
          count(*) FILTER (WHERE (p.t_infomask & 4096) <> 0)::int AS multi
        FROM generate_series(0, pg_relation_size('intake_log') / current_setting('block_size')::int - 1) b,
          heap_page_items(get_raw_page('intake_log', b::int)) p
        WHERE p.lp_flags = 1`)
      expect(tuples).toEqual({ deleted: 60, multi: 0 })
      // A claim's scan that meets them marks their index entries dead, once no snapshot older than
      // their deletion remains (a job of this app may hold one for a moment); later scans skip them.
      const claimScanBlocks = () =>
        t.deps.db.$client.begin(async (tx) => {
          await tx`SET LOCAL enable_seqscan = off`
          const [row] = await tx.unsafe(
            'EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT id FROM intake_log ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED',
          )
          type Node = { 'Node Type': string; 'Shared Hit Blocks': number; 'Shared Read Blocks': number; Plans?: Node[] }
          const find = (n: Node): Node | undefined =>
            n['Node Type'] === 'Index Scan' ? n : n.Plans?.map(find).find(Boolean)
          const scan = find((row!['QUERY PLAN'] as [{ Plan: Node }])[0].Plan)!
          return scan['Shared Hit Blocks'] + scan['Shared Read Blocks']
        })
      let blocks = await claimScanBlocks()
      for (let i = 0; i < 50 && blocks > 2; i++) {
        await new Promise((r) => setTimeout(r, 100))
        blocks = await claimScanBlocks()
      }
      // The primary key's one leaf page, and no heap page of a linked row.
      expect(blocks).toBeLessThanOrEqual(2)
    } finally {
      await t.deps.db.execute(sql`ALTER TABLE intake_log RESET (autovacuum_enabled)`)
    }
  })

  it('a claim cancelled while it waits for a key lock gives the claim lock back: other linkers go on', async () => {
    const { source } = await makeJsonSource(t)
    await appendIntake(t.deps.db, pending(source.id, 'cancel', 3, 1))
    const [first] = await q<{ key: string }>(sql`SELECT link_key AS key FROM intake_log ORDER BY id LIMIT 1`)
    const key = first!.key
    const holder = await t.deps.db.$client.reserve()
    const linker = await t.deps.db.$client.reserve()
    try {
      // Another session holds the batch's key lock, so the claim waits on it, holding the claim lock.
      await holder`BEGIN`
      await holder`SELECT pg_advisory_xact_lock(hashtextextended(${key}, 7))`
      await linker`SET statement_timeout = '300ms'`
      await expect(linker`SELECT * FROM intake_link_batch(10)`).rejects.toMatchObject({ code: '57014' })
      await linker`RESET statement_timeout`
      // The cancelled session (still open) holds no advisory lock, so others can claim.
      const [held] = await linker<{ n: number }[]>`
        SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()`
      expect(held!.n).toBe(0)
      await holder`COMMIT`
      expect((await linkIntakeBatch(t.deps.db, t.deps.boss)).length).toBe(3)
      await expectLinkedOnce('cancel', 3, 1)
    } finally {
      await holder`ROLLBACK`.catch(() => {})
      holder.release()
      linker.release()
    }
  })

  it('hosts and users: each once per incident, whether the batch opens the incident or adds to an existing one', async () => {
    const { source } = await makeJsonSource(t)
    const item = (summary: string, mid: string, ip: string, user: string) => {
      const body = alertBody({ summary, attacker: { ip_address: ip }, target: { user } }, { message_id: mid })
      const alert = normalizeAlert(body)
      return { sourceId: source.id, raw: JSON.stringify(body), alert, link: linkKeyOf(alert, DEFAULT_LINKING_RULES) }
    }
    // One batch opens the incident with two alerts sharing a host and a user (plain inserts).
    await appendIntake(t.deps.db, [
      item('hu-1', '<hu@x>', '203.0.113.1', 'alice'),
      item('hu-2', '<hu@x>', '203.0.113.1', 'bob'),
    ])
    const [first] = await linkIntakeBatch(t.deps.db, t.deps.boss)
    // A later batch adds to it: a known host and user again, and a new one of each (ON CONFLICT).
    await appendIntake(t.deps.db, [
      item('hu-3', '<hu@x>', '203.0.113.1', 'alice'),
      item('hu-4', '<hu@x>', '203.0.113.2', 'carol'),
    ])
    const later = await linkIntakeBatch(t.deps.db, t.deps.boss)
    expect(later.map((l) => [l.incidentId, l.isNewIncident])).toEqual([
      [first!.incidentId, false],
      [first!.incidentId, false],
    ])
    const hosts = await q<{ kind: string; host: string }>(
      sql`SELECT kind, host FROM incident_hosts WHERE incident_id = ${first!.incidentId} ORDER BY kind, host`,
    )
    expect(hosts.filter((h) => h.kind === 'attacker').map((h) => h.host)).toEqual(['203.0.113.1', '203.0.113.2'])
    expect(new Set(hosts.map((h) => `${h.kind} ${h.host}`)).size).toBe(hosts.length)
    const users = await q<{ username: string }>(
      sql`SELECT username FROM incident_users WHERE incident_id = ${first!.incidentId} AND kind = 'targets' ORDER BY 1`,
    )
    expect(users.map((u) => u.username)).toEqual(['alice', 'bob', 'carol', 'jdoe@corp.example'])
  })

  it('four linkers at once, in small batches: every alert linked once, one incident per key, in arrival order', async () => {
    const { source } = await makeJsonSource(t)
    // Each key twice, 50 rows apart: the two alerts sit in different batches that run at the same
    // time, so only ordered key locking keeps the first of them the one that opens the incident.
    const items = pending(source.id, 'conc', 1200, 600, (i) => `${Math.floor(i / 100)}-${i % 50}`)
    for (let i = 0; i < items.length; i += 100) await appendIntake(t.deps.db, items.slice(i, i + 100))
    let batches = 0
    const linker = async () => {
      for (;;) {
        const linked = await linkIntakeBatch(t.deps.db, t.deps.boss, 40)
        if (!linked.length) return
        batches++
      }
    }
    await Promise.all([linker(), linker(), linker(), linker()])
    await drainIntake(t)
    expect(batches).toBeGreaterThanOrEqual(30)
    await expectLinkedOnce('conc', 1200, 600)
    // One alert.match job per batch, never one per alert.
    const jobs = await q<{ n: number }>(sql`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'alert.match'`)
    expect(jobs[0]!.n).toBeLessThan(200)
  })

  it('a row that cannot be linked is set aside with its error; the rows behind it are linked', async () => {
    const { source } = await makeJsonSource(t)
    await appendIntake(t.deps.db, pending(source.id, 'before', 20, 20))
    await appendIntake(t.deps.db, pending(source.id, 'poison', 1, 1))
    // A value the database refuses only when linking (never produced by the JSON reader).
    await t.deps.db.execute(sql`
      UPDATE intake_log SET item = jsonb_set(item, '{emails,0,delivered_at}', '"not a date"')
      WHERE item->'alert'->>'summary' = 'poison-0'`)
    await appendIntake(t.deps.db, pending(source.id, 'after', 20, 20))
    await expect(linkIntakeBatch(t.deps.db, t.deps.boss)).rejects.toThrow(/not a date|invalid input syntax/)
    await drainIntake(t)
    await expectLinkedOnce('before', 20, 20)
    await expectLinkedOnce('after', 20, 20)
    const failed = await q<{ error: string; summary: string }>(
      sql`SELECT error, item->'alert'->>'summary' AS summary FROM intake_failed`,
    )
    expect(failed).toEqual([{ error: expect.stringMatching(/not a date/), summary: 'poison-0' }])
    expect(await getIntakeBacklog(t.deps.db)).toEqual({ alerts: 0, oldestSeconds: 0, failed: 1 })
    await t.deps.db.execute(sql`DELETE FROM intake_failed`)
  })

  it('skips the per-row foreign-key checks only where it may, and our triggers fire either way', async () => {
    const { source } = await makeJsonSource(t)
    const newCounts = async () =>
      (
        await q<{ n: number }>(sql`SELECT coalesce(sum(n), 0)::int AS n FROM incident_state_counts WHERE state = 'new'`)
      )[0]!.n
    const before = await newCounts()
    // This role may (the test cluster's superuser): its call sets the role back before returning.
    await appendIntake(t.deps.db, pending(source.id, 'fk-fast', 6, 3))
    const role = await t.deps.db.$client.begin(async (tx) => {
      await tx`SELECT count(*) FROM intake_link_batch(100)`
      return (await tx<{ r: string }[]>`SELECT current_setting('session_replication_role') AS r`)[0]!.r
    })
    expect(role).toBe('origin')
    await expectLinkedOnce('fk-fast', 6, 3)
    // A role without the right to SET session_replication_role links with every check, as before.
    const name = `clawback_linker_${Date.now()}`
    await t.deps.db.execute(sql.raw(`CREATE ROLE ${name}`))
    try {
      await t.deps.db.execute(
        sql.raw(
          `GRANT ALL ON ALL TABLES IN SCHEMA public TO ${name}; GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO ${name}`,
        ),
      )
      await appendIntake(t.deps.db, pending(source.id, 'fk-rows', 6, 3))
      const linked = await t.deps.db.$client.begin(async (tx) => {
        await tx.unsafe(`SET LOCAL ROLE ${name}`)
        expect((await tx`SELECT has_parameter_privilege('session_replication_role', 'SET') AS p`)[0]!.p).toBe(false)
        return (await tx`SELECT count(*)::int AS n FROM intake_link_batch(100)`)[0]!.n
      })
      expect(linked).toBe(6)
      await expectLinkedOnce('fk-rows', 6, 3)
    } finally {
      await t.deps.db.execute(sql.raw(`DROP OWNED BY ${name}; DROP ROLE ${name}`))
    }
    // The incident counts' trigger ran for the incidents both calls opened.
    expect((await newCounts()) - before).toBe(6)
  })

  it('an incident deleted while a batch adds to it: the batch is refused, and the next one opens another', async () => {
    const { source } = await makeJsonSource(t)
    await appendIntake(t.deps.db, pending(source.id, 'gone', 1, 1))
    const [first] = await linkIntakeBatch(t.deps.db, t.deps.boss)
    await appendIntake(
      t.deps.db,
      pending(source.id, 'gone', 1, 1).map((p) => ({ ...p, alert: { ...p.alert, summary: 'gone-1' } })),
    )
    // Another session deletes the incident and holds its row lock; the batch found the incident by
    // key and waits on that lock; the deletion commits; the batch must not store alerts under it.
    const deleter = await t.deps.db.$client.reserve()
    try {
      await deleter`BEGIN`
      await deleter`DELETE FROM incidents WHERE id = ${first!.incidentId}`
      const batch = linkIntakeBatch(t.deps.db, t.deps.boss).then(
        () => null,
        (err: { code?: string }) => err.code,
      )
      const until = Date.now() + 10_000
      for (;;) {
        const waiting = await q(sql`
          SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%intake_link_batch%'`)
        if (waiting.length || Date.now() > until) break
        await new Promise((r) => setTimeout(r, 5))
      }
      await deleter`COMMIT`
      expect(await batch).toBe('23503')
    } finally {
      deleter.release()
    }
    expect((await getIntakeBacklog(t.deps.db)).alerts).toBe(1)
    const [again] = await linkIntakeBatch(t.deps.db, t.deps.boss)
    expect(again!.isNewIncident).toBe(true)
    expect(again!.incidentId).not.toBe(first!.incidentId)
    const orphans = await q(sql`
      SELECT a.id FROM alerts a WHERE a.incident_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM incidents i WHERE i.id = a.incident_id)`)
    expect(orphans).toEqual([])
  })

  it('a linker process killed (SIGKILL) while it holds a batch: the next linker links every alert exactly once', async () => {
    const { source } = await makeJsonSource(t)
    const items = pending(source.id, 'kill', 4000, 500)
    for (let i = 0; i < items.length; i += 400) await appendIntake(t.deps.db, items.slice(i, i + 400))
    const child = runNode('test/harness/linker-child.ts', [], {
      DATABASE_URL: t.testDb.url,
      LINKER_BATCH: '1000',
    })
    // Wait until the child's linker is inside a batch transaction (it holds rows of the log).
    let holding = false
    const until = Date.now() + 60_000
    while (!holding && Date.now() < until) {
      const rows = await q(sql`
        SELECT pid FROM pg_stat_activity
        WHERE application_name = 'clawback-linker-child' AND xact_start IS NOT NULL AND query LIKE '%intake_link_batch%'`)
      holding = rows.length > 0
      if (!holding) await new Promise((r) => setTimeout(r, 5))
    }
    expect(holding, child.output()).toBe(true)
    child.child.kill('SIGKILL')
    await child.exited
    const left = (await getIntakeBacklog(t.deps.db)).alerts
    // Killed mid-batch: its batch is back in the log, nothing half-written.
    expect(left).toBeGreaterThan(0)
    const linkedSoFar = await q<{ n: number }>(sql`SELECT count(*)::int AS n FROM alerts WHERE summary LIKE 'kill-%'`)
    expect(linkedSoFar[0]!.n + left).toBe(4000)
    await drainIntake(t)
    await expectLinkedOnce('kill', 4000, 500)
  }, 120_000)

  it('wakes the linkers after each append commits, with one NOTIFY at a time however many appends', async () => {
    const { source } = await makeJsonSource(t)
    let heard = 0
    const listener = await t.deps.db.$client.listen(INTAKE_CHANNEL, () => {
      heard++
    })
    try {
      await appendIntake(t.deps.db, pending(source.id, 'wake', 3, 3))
      for (let i = 0; i < 100 && heard === 0; i++) await new Promise((r) => setTimeout(r, 20))
      expect(heard).toBeGreaterThan(0)
      // a burst: the first call sends, the rest fold into one more sent after it
      heard = 0
      for (let i = 0; i < 50; i++) wakeLinkers(t.deps.db)
      await new Promise((r) => setTimeout(r, 500))
      expect(heard).toBeGreaterThanOrEqual(1)
      expect(heard).toBeLessThanOrEqual(2)
    } finally {
      await listener.unlisten()
    }
    await drainIntake(t)
  })
})
