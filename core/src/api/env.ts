import type { PgBoss } from 'pg-boss'
import type { Config } from '../config.ts'
import type { Keyring } from '../crypto/master-secret.ts'
import type { Db } from '../db/client.ts'
import type { Logger } from '../log.ts'
import type { Actor } from '../policy/actor.ts'

/** Everything a request handler may use; built once per process. */
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

export type AppEnv = {
  Variables: {
    deps: Deps
    log: Logger
    requestId: string
    actor: Actor | undefined
    /** set when the actor came from a session cookie (CSRF applies) */
    session: { idHash: string; csrfToken: string; mustChangePassword: boolean; username: string } | undefined
    /** set by console/ on its pages so errors render as HTML instead of JSON */
    renderError: ((status: number, message: string) => Response | Promise<Response>) | undefined
    /** the body `lenientJson()` parsed (compatible paths) */
    lenientBody: unknown
  }
}
