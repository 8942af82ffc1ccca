import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type postgres from 'postgres'
import { AppError } from '../errors.ts'

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../migrations')
const LOCK_ID = 0x636c6177 // 'claw'

type Migration = { name: string; sql: string; sha256: string }

export const readMigrations = (dir = MIGRATIONS_DIR): Migration[] =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((name) => {
      const sql = readFileSync(path.join(dir, name), 'utf8')
      return { name, sql, sha256: createHash('sha256').update(sql).digest('hex') }
    })

const ensureTable = (sql: postgres.TransactionSql) =>
  sql.unsafe(`CREATE TABLE IF NOT EXISTS schema_migrations (
    name text PRIMARY KEY, sha256 text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(), duration_ms integer NOT NULL)`)

/**
 * Applies every migration not yet applied, each in its own transaction, under an advisory lock so
 * that several processes starting together migrate once. Forward-only: an applied migration whose
 * file changed is an error.
 */
export const migrate = async (sql: postgres.Sql, dir = MIGRATIONS_DIR): Promise<string[]> => {
  const applied: string[] = []
  await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${LOCK_ID})`
    await ensureTable(tx)
    const done = new Map(
      (await tx<{ name: string; sha256: string }[]>`SELECT name, sha256 FROM schema_migrations`).map((r) => [
        r.name,
        r.sha256,
      ]),
    )
    for (const m of readMigrations(dir)) {
      const seen = done.get(m.name)
      if (seen) {
        if (seen !== m.sha256) throw new AppError('CONFLICT', `migration ${m.name} was changed after it was applied`)
        continue
      }
      const started = performance.now()
      await tx.unsafe(m.sql)
      await tx`INSERT INTO schema_migrations (name, sha256, duration_ms) VALUES (${m.name}, ${m.sha256}, ${Math.round(performance.now() - started)})`
      applied.push(m.name)
    }
  })
  return applied
}

/** Names of migrations on disk that the database has not applied (empty when current). */
export const pendingMigrations = async (sql: postgres.Sql, dir = MIGRATIONS_DIR): Promise<string[]> => {
  const [exists] = await sql<{ ok: boolean }[]>`SELECT to_regclass('public.schema_migrations') IS NOT NULL AS ok`
  const done = exists?.ok
    ? new Set((await sql<{ name: string }[]>`SELECT name FROM schema_migrations`).map((r) => r.name))
    : new Set<string>()
  return readMigrations(dir)
    .map((m) => m.name)
    .filter((n) => !done.has(n))
}

/** Refuses to run on a schema that is behind: throws naming the missing migrations. */
export const assertSchemaCurrent = async (sql: postgres.Sql) => {
  const pending = await pendingMigrations(sql)
  if (pending.length > 0) {
    throw new AppError(
      'UNAVAILABLE',
      `database schema is behind: ${pending.length} migration(s) not applied (${pending.join(', ')}); run \`clawbackctl migrate\``,
    )
  }
}
