// A linker alone in its own process (the worker role's intake linker, nothing else), for tests that
// kill it mid-batch: `node test/harness/linker-child.ts` with DATABASE_URL and LINKER_BATCH.
import { openDb } from '../../core/src/db/client.ts'
import { startIntakeLinker } from '../../core/src/domain/intake/intake-linker.ts'
import { startBoss } from '../../core/src/jobs/boss.ts'
import { createLogger } from '../../core/src/log.ts'

const url = process.env.DATABASE_URL!
const log = createLogger('warn')
const db = openDb(url, { max: 2, applicationName: 'clawback-linker-child' })
const boss = await startBoss(url, log, { supervise: false, max: 1 })
await startIntakeLinker(db, boss, log, { batch: Number(process.env.LINKER_BATCH ?? 500), pollMs: 100 })
process.stdout.write('linker started\n')
