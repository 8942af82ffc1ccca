import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js'
import postgres from 'postgres'
import * as schema from './schema/index.ts'

export type Db = PostgresJsDatabase<typeof schema> & { $client: postgres.Sql }
/** A transaction handle; domain functions accept `Db | Tx` where they can join a caller's transaction. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]
export type DbOrTx = Db | Tx

/**
 * libpq's Unix-socket form, `postgres://user:pw@host:port/db?host=/socket/dir` (the embedded
 * PostgreSQL's URL; pg-boss's pg reads it as is, like libpq): postgres.js would send `host` to the
 * server as a setting, so it becomes postgres.js's `path` (the socket file) and leaves the URL.
 */
export const socketUrl = (url: string): [string, { path?: string }] => {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return [url, {}]
  }
  const dir = parsed.searchParams.get('host')
  if (!dir?.startsWith('/')) return [url, {}]
  parsed.searchParams.delete('host')
  return [parsed.toString(), { path: `${dir}/.s.PGSQL.${parsed.port || 5432}` }]
}

/** A postgres.js client for `url`, its libpq socket form (`?host=/dir`) included. */
export const pgClient = (url: string, options: postgres.Options<Record<string, postgres.PostgresType>> = {}) => {
  const [target, socket] = socketUrl(url)
  return postgres(target, { ...options, ...socket })
}

/** Opens a pooled connection. `max` bounds connections per process. */
export const openDb = (url: string, options: { max?: number; applicationName?: string } = {}): Db => {
  const client = pgClient(url, {
    max: options.max ?? 10,
    onnotice: () => {},
    connection: { application_name: options.applicationName ?? 'clawback' },
    idle_timeout: 60,
  })
  return drizzle(client, { schema }) as Db
}

export const closeDb = (db: Db) => db.$client.end({ timeout: 5 })

export { schema }
