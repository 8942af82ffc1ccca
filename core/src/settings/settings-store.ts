import { eq, sql } from 'drizzle-orm'
import type { z } from 'zod'
import type { DbOrTx } from '../db/client.ts'
import { settings } from '../db/schema/index.ts'

/** Reads one settings row (key → jsonb), validated; the schema's defaults when absent or invalid. */
export const readSetting = async <T>(db: DbOrTx, key: string, schema: z.ZodType<T>): Promise<T> => {
  const [row] = await db.select().from(settings).where(eq(settings.key, key))
  const parsed = schema.safeParse(row?.value ?? {})
  return parsed.success ? parsed.data : schema.parse({})
}

/** Writes one settings row inside the caller's transaction. */
export const writeSetting = async (tx: DbOrTx, key: string, value: unknown, userId: number | null) => {
  await tx
    .insert(settings)
    .values({ key, value, updatedBy: userId })
    .onConflictDoUpdate({ target: settings.key, set: { value, updatedBy: userId, updatedAt: sql`now()` } })
}
