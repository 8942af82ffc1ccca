import { and, eq } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.ts'
import { type connectors, credentials } from '../../db/schema/index.ts'

type Row = typeof connectors.$inferSelect

/** The API/console shape of an instance: settings, which secrets are set (never their values), last test. */
export const presentConnector = (row: Row, storedSecrets: string[]) => ({
  id: row.id,
  kind: row.kind,
  name: row.name,
  settings: row.settings as Record<string, unknown>,
  secretsSet: storedSecrets.sort(),
  isEnabled: row.isEnabled,
  isOnPremises: row.isOnPremises,
  lastTest: row.lastTestedAt
    ? { at: row.lastTestedAt, isOk: row.lastTestOk ?? false, message: row.lastTestMessage ?? '' }
    : null,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
})

/** Names of the secrets stored for one connector (`credentials` owner_kind 'connector'). */
export const storedSecretNames = async (db: DbOrTx, id: number) =>
  (
    await db
      .select({ name: credentials.name })
      .from(credentials)
      .where(and(eq(credentials.ownerKind, 'connector'), eq(credentials.ownerId, String(id))))
  ).map((r) => r.name)
