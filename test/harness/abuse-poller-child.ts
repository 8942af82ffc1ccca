// The abuse-mailbox pollers alone in their own process (the worker role's pollers, nothing else), for
// tests that kill them mid-mailbox: `node test/harness/abuse-poller-child.ts` with DATABASE_URL,
// CLAWBACK_DATA_DIR, MASTER_KEY_FILE, POLLER_BATCH and POLLER_LEASE_SECONDS.
import { loadOrCreateMasterSecret } from '../../core/src/crypto/master-secret.ts'
import { openDb } from '../../core/src/db/client.ts'
import { startAbusePollers } from '../../core/src/domain/abuse/abuse-pollers.ts'
import { createLogger } from '../../core/src/log.ts'
import '../harness/loopback-only.ts'

const log = createLogger('warn')
const db = openDb(process.env.DATABASE_URL!, { max: 2, applicationName: 'clawback-abuse-poller-child' })
await startAbusePollers(
  {
    db,
    keyring: loadOrCreateMasterSecret(process.env.MASTER_KEY_FILE!),
    dataDir: process.env.CLAWBACK_DATA_DIR!,
    log,
  },
  {
    refreshMs: 200,
    batch: Number(process.env.POLLER_BATCH ?? 10),
    leaseSeconds: Number(process.env.POLLER_LEASE_SECONDS ?? 3),
  },
)
process.stdout.write('pollers started\n')
