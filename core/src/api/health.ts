import { sql } from 'drizzle-orm'
import { Hono } from 'hono'
import { pendingMigrations } from '../db/migrate.ts'
import type { AppEnv } from './env.ts'
import { guard } from './middleware/auth.ts'

/** Liveness (the process answers) and readiness (database, schema, workers). */
export const health = new Hono<AppEnv>()

health.get('/healthz', guard({ auth: 'public' }), (c) => c.json({ status: 'ok' }))

health.get('/readyz', guard({ auth: 'public' }), async (c) => {
  const { db, readiness } = c.var.deps
  const checks: Record<string, boolean> = {}
  try {
    await db.execute(sql`SELECT 1`)
    checks.database = true
    checks.migrations = (await pendingMigrations(db.$client)).length === 0
  } catch {
    checks.database = false
    checks.migrations = false
  }
  for (const [name, check] of Object.entries(readiness)) {
    try {
      checks[name] = await check()
    } catch {
      checks[name] = false
    }
  }
  const ready = Object.values(checks).every(Boolean)
  return c.json({ status: ready ? 'ready' : 'not_ready', checks }, ready ? 200 : 503)
})
