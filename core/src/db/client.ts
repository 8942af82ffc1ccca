import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js'
import postgres from 'postgres'
import * as schema from './schema/index.ts'

export type Db = PostgresJsDatabase<typeof schema> & { $client: postgres.Sql }
/** A transaction handle; domain functions accept `Db | Tx` where they can join a caller's transaction. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]
export type DbOrTx = Db | Tx

/** Opens a pooled connection. `max` bounds connections per process. */
export const openDb = (url: string, options: { max?: number; applicationName?: string } = {}): Db => {
  const client = postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {},
    connection: { application_name: options.applicationName ?? 'clawback' },
    idle_timeout: 60,
  })
  return drizzle(client, { schema }) as Db
}

export const closeDb = (db: Db) => db.$client.end({ timeout: 5 })

export { schema }
