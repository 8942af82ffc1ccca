import type { Db } from '../../db/client.ts'

/** How many alerts wait in the intake log, and how long the oldest has waited (seconds). */
export const getIntakeBacklog = async (db: Db) => {
  const [row] = await db.$client<{ n: string; oldest: number | null; failed: string }[]>`
    SELECT count(*)::text AS n, extract(epoch FROM now() - min(received_at))::float8 AS oldest,
      (SELECT count(*) FROM intake_failed)::text AS failed
    FROM intake_log`
  return { alerts: Number(row!.n), oldestSeconds: row!.oldest ?? 0, failed: Number(row!.failed) }
}
