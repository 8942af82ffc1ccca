import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'

/**
 * The URL this process's database pool uses (DATABASE_URL, or the embedded PostgreSQL's), read from
 * the pool's own options so that restore and upgrade act on exactly the database the roles use.
 */
export const embeddedOrConfiguredUrl = async (c: Context<AppEnv>) => {
  const { config, db } = c.var.deps
  if (config.databaseUrl) return config.databaseUrl
  const o = (
    db.$client as unknown as {
      options: { host: string[]; port: number[]; user: string; pass: string; database: string }
    }
  ).options
  return `postgres://${encodeURIComponent(o.user)}:${encodeURIComponent(o.pass)}@${o.host[0]}:${o.port[0]}/${o.database}`
}
