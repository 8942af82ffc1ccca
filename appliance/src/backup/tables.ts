import type { Readable } from 'node:stream'
import type postgres from 'postgres'

/** One table a backup carries: its columns (generated ones excluded) in attnum order. */
export type TableInfo = { schema: string; name: string; columns: string[]; rows?: number }

/** pg-boss tables worth keeping (jobs, queues, schedules); its stats, instance and version rows are regenerated. */
const BOSS_TABLES = new Set(['queue', 'job', 'schedule', 'subscription', 'job_dependency'])
/** Not carried: schema_migrations is rebuilt by the restore; incident_state_counts is derived from incidents (REBUILD). */
const SKIP = new Set(['public.schema_migrations', 'public.incident_state_counts'])

/** Recomputes the tables a backup does not carry but derives, after a restore has loaded the others. */
export const REBUILD_DERIVED = `DO $$ BEGIN
  IF to_regclass('public.incident_state_counts') IS NOT NULL THEN
    DELETE FROM incident_state_counts;
    INSERT INTO incident_state_counts (scope, state, n)
      SELECT incident_count_scope(is_private, team_id), state, count(*) FROM incidents GROUP BY 1, 2;
  END IF;
END $$`

export const qualified = (t: { schema: string; name: string }) => `"${t.schema}"."${t.name}"`
export const columnList = (t: TableInfo) => t.columns.map((c) => `"${c.replaceAll('"', '""')}"`).join(', ')

/**
 * The application tables (schema public) and pg-boss's job tables, parents before children
 * (foreign keys), so that a restore can load them in file order with constraints on.
 */
export const listTables = async (sql: postgres.Sql | postgres.TransactionSql): Promise<TableInfo[]> => {
  const rels = await sql<{ oid: number; schema: string; name: string }[]>`
    SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS name
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname IN ('public', 'pgboss')
     ORDER BY n.nspname DESC, c.relname`
  const wanted = rels.filter((r) =>
    r.schema === 'pgboss' ? BOSS_TABLES.has(r.name) : !SKIP.has(`${r.schema}.${r.name}`),
  )
  const oids = wanted.map((r) => r.oid)
  const cols = await sql<{ oid: number; name: string }[]>`
    SELECT attrelid::int AS oid, attname AS name FROM pg_attribute
     WHERE attrelid = ANY(${oids}::oid[]) AND attnum > 0 AND NOT attisdropped AND attgenerated = ''
     ORDER BY attrelid, attnum`
  const fks = await sql<{ child: number; parent: number }[]>`
    SELECT conrelid::int AS child, confrelid::int AS parent FROM pg_constraint
     WHERE contype = 'f' AND conrelid = ANY(${oids}::oid[]) AND confrelid <> conrelid`
  const parents = new Map<number, Set<number>>(oids.map((o) => [o, new Set()]))
  for (const f of fks) if (parents.has(f.parent)) parents.get(f.child)!.add(f.parent)
  const order: number[] = []
  const seen = new Set<number>()
  const visit = (o: number, stack: Set<number>) => {
    if (seen.has(o) || stack.has(o)) return
    stack.add(o)
    for (const p of parents.get(o) ?? []) visit(p, stack)
    seen.add(o)
    order.push(o)
  }
  for (const o of oids) visit(o, new Set())
  const byOid = new Map(wanted.map((r) => [r.oid, r]))
  return order.map((o) => {
    const r = byOid.get(o)!
    return { schema: r.schema, name: r.name, columns: cols.filter((c) => c.oid === o).map((c) => c.name) }
  })
}

/**
 * Call once a `COPY ... TO STDOUT` stream of postgres.js has ended (or failed): makes sure the
 * connection reads again. postgres.js pauses the socket when a CopyData fills the stream's buffer
 * and resumes it only from the stream's `_read`; when CopyDone is in the same socket read (a row
 * larger than the buffer, e.g. an alert with 50,000 recipients), the stream ends with the socket
 * still paused and the next statement of the transaction waits forever, "idle in transaction"
 * (porsager/postgres#1016, not in a release yet). The stream's own `_read` resumes its socket;
 * on a flowing socket it does nothing.
 */
export const unpauseConnection = (stream: Readable) => stream._read(0)
