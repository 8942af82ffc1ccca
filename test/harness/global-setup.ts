import { mkdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import postgres from 'postgres'
import type { TestProject } from 'vitest/node'
import { closeDb, openDb, socketUrl } from '../../core/src/db/client.ts'
import { startEmbeddedPostgres, stopAbandonedPostgres } from '../../core/src/db/embedded.ts'
import { migrate } from '../../core/src/db/migrate.ts'
import { ensureBuiltins } from '../../core/src/domain/setup/ensure-builtins.ts'
import { startBoss } from '../../core/src/jobs/boss.ts'
import { createLogger } from '../../core/src/log.ts'

export const TEMPLATE = 'clawback_template'

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string
  }
}

/**
 * Starts one embedded PostgreSQL 17 for the whole run (or uses TEST_DATABASE_URL), and prepares a
 * template database with every migration, pg-boss's schema and the built-ins. Each test file then
 * gets its own database copied from the template (see db.ts), so files run in parallel in isolation.
 */
export default async function setup(project: TestProject) {
  const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'warn')
  const root = path.resolve('test/.tmp')
  let adminUrl: string
  let stop = async () => {}
  if (process.env.TEST_DATABASE_URL) {
    adminUrl = process.env.TEST_DATABASE_URL
  } else {
    const dir = path.join(root, `pg-${process.env.TEST_PG_PORT ?? '54330'}`)
    // a run killed before its teardown left its PostgreSQL on the port: stop it, then start afresh
    await stopAbandonedPostgres(dir, log)
    rmSync(dir, { recursive: true, force: true })
    mkdirSync(dir, { recursive: true })
    const pg = await startEmbeddedPostgres(dir, Number(process.env.TEST_PG_PORT ?? 54330), log)
    // Tests reach it over TCP: their URLs are rewritten per database (`/name` at the end) and handed
    // to spawned processes; the Unix socket path is covered by embedded-postgres.test.ts.
    adminUrl = socketUrl(pg.url)[0].replace(/\/clawback$/, '/postgres')
    stop = pg.stop
  }
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} })
  await admin.unsafe(`DROP DATABASE IF EXISTS ${TEMPLATE} WITH (FORCE)`)
  await admin.unsafe(`CREATE DATABASE ${TEMPLATE}`)
  const templateUrl = adminUrl.replace(/\/[^/]+$/, `/${TEMPLATE}`)
  const db = openDb(templateUrl, { max: 2 })
  await migrate(db.$client)
  await ensureBuiltins(db)
  const boss = await startBoss(templateUrl, log, { supervise: false, max: 2 })
  await boss.stop({ close: true, graceful: false })
  await closeDb(db)
  await admin.end()
  project.provide('pgAdminUrl', adminUrl)
  return async () => {
    await stop()
  }
}
