import type postgres from 'postgres'
import { alertMatchJob } from '../../jobs/alert-match.ts'
import type { PgBoss } from '../../jobs/boss.ts'

/**
 * Enqueues the `alert.match` job for alerts just linked, inside the linker's own transaction (so
 * the job exists exactly when the link committed).
 */
export const enqueueAlertMatch = async (sql: postgres.TransactionSql, boss: PgBoss, alertIds: number[]) => {
  if (!alertIds.length) return
  await boss.send(
    alertMatchJob.name,
    alertMatchJob.payload.parse({ alerts: alertIds.map((alertId) => ({ alertId })) }),
    {
      db: {
        executeSql: async (text: string, values?: unknown[]) => ({
          rows: await sql.unsafe(text, values as never[], { prepare: true }),
        }),
      },
    },
  )
}
