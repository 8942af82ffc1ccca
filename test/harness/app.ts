import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { mounts } from '../../console/src/mounts.ts'
import { buildApiApp } from '../../core/src/api/app.ts'
import { buildConsoleApp } from '../../core/src/api/console-app.ts'
import { loadConfig } from '../../core/src/config.ts'
import { loadOrCreateMasterSecret } from '../../core/src/crypto/master-secret.ts'
import type { Deps } from '../../core/src/deps.ts'
import { startIntakeLinker } from '../../core/src/domain/intake/intake-linker.ts'
import { startBoss } from '../../core/src/jobs/boss.ts'
import { createLogger } from '../../core/src/log.ts'
import { createTestDb, type TestDb } from './db.ts'

export type TestApp = {
  deps: Deps
  testDb: TestDb
  api: ReturnType<typeof buildApiApp>
  console: ReturnType<typeof buildConsoleApp>
  dataDir: string
  close: () => Promise<void>
}

/**
 * The real api and console apps over a fresh database, for `app.request()` tests (no socket).
 * `env` overrides configuration settings.
 */
export const startTestApp = async (
  env: Record<string, string> = {},
  options: { linker?: boolean } = {},
): Promise<TestApp> => {
  const testDb = await createTestDb()
  const dataDir = mkdtempSync(path.join(tmpdir(), 'clawback-test-'))
  const config = loadConfig({
    CLAWBACK_DATA_DIR: dataDir,
    DATABASE_URL: testDb.url,
    CLAWBACK_CONFIG: '/dev/null',
    ...env,
  })
  const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent')
  const boss = await startBoss(testDb.url, log, { supervise: false, max: 2, jobs: mounts.jobs, roles: config.roles })
  const keyring = loadOrCreateMasterSecret(config.masterSecretFile)
  const deps: Deps = { config, db: testDb.db, boss, keyring, log, readiness: {}, checkResponses: true }
  // The intake linker runs as in the worker role, so a posted alert reaches its incident (tests read
  // incidents after `?wait=` or `drainIntake`); `{ linker: false }` leaves the intake log alone.
  const stopLinker = options.linker === false ? async () => {} : await startIntakeLinker(testDb.db, boss, log)
  return {
    deps,
    testDb,
    dataDir,
    api: buildApiApp(deps, mounts.api),
    console: buildConsoleApp(deps, mounts.console),
    close: async () => {
      await stopLinker()
      await boss.stop({ close: true, graceful: false })
      await testDb.drop()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
