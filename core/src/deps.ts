import type { PgBoss } from 'pg-boss'
import type { Config } from './config.ts'
import type { Keyring } from './crypto/master-secret.ts'
import type { Db } from './db/client.ts'
import type { Logger } from './log.ts'

/**
 * What a process hands to everything it runs (request handlers, jobs, management operations):
 * built once per process by the entry point. Lives outside the routes layer so appliance/ and
 * domain code can take it without importing api/.
 */
export type Deps = {
  config: Config
  db: Db
  boss: PgBoss
  keyring: Keyring
  log: Logger
  /** readiness contributors beyond the database (e.g. "workers up") */
  readiness: Record<string, () => Promise<boolean> | boolean>
  /** check every declared JSON answer against its schema (test apps; see api/describe.ts) */
  checkResponses?: boolean
}
