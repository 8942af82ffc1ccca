import { mkdirSync } from 'node:fs'
import type { Config } from './config.ts'
import { type Keyring, loadOrCreateMasterSecret } from './crypto/master-secret.ts'
import { closeDb, type Db, openDb } from './db/client.ts'
import { type EmbeddedHandle, startEmbeddedPostgres } from './db/embedded.ts'
import { assertSchemaCurrent, migrate } from './db/migrate.ts'
import type { Logger } from './log.ts'

export type Runtime = { db: Db; url: string; keyring: Keyring; close: () => Promise<void>; embedded?: EmbeddedHandle }

/**
 * Opens what every entry point needs: the data directory, the master secret, the database
 * (embedded PostgreSQL when DATABASE_URL is empty) with its schema current. Used by the server
 * and by clawbackctl, so both see the same state.
 */
export const openRuntime = async (
  config: Config,
  log: Logger,
  options: { migrate: boolean; maxConnections?: number },
): Promise<Runtime> => {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o711 })
  const keyring = loadOrCreateMasterSecret(config.masterSecretFile)
  const embedded = config.databaseUrl
    ? undefined
    : await startEmbeddedPostgres(config.dataDir, config.embeddedPgPort, log, { isPortSet: config.isEmbeddedPgPortSet })
  const url = config.databaseUrl ?? embedded!.url
  const db = openDb(url, { max: options.maxConnections ?? 20 })
  try {
    if (options.migrate) {
      const applied = await migrate(db.$client)
      if (applied.length) log.info({ applied }, 'migrations applied')
    } else {
      await assertSchemaCurrent(db.$client)
    }
  } catch (err) {
    await closeDb(db)
    await embedded?.stop()
    throw err
  }
  return {
    db,
    url,
    keyring,
    embedded,
    close: async () => {
      await closeDb(db)
      await embedded?.stop()
    },
  }
}
