import { and, eq } from 'drizzle-orm'
import { z } from 'zod'
import type { Db } from '../../../db/client.ts'
import { listMembers } from '../../../db/schema/index.ts'

/** Which of the incident's facts become list members. */
export const VALUE_SOURCES = [
  'senders',
  'senderDomains',
  'recipients',
  'urls',
  'urlDomains',
  'attachmentHashes',
  'attackerHosts',
] as const
export const ZListParams = z.strictObject({
  listId: z.number().int().positive(),
  valueFrom: z.enum(VALUE_SOURCES),
  expiresInDays: z.number().int().min(1).max(3650).optional(),
  description: z.string().max(500).default(''),
})

/** The list member with this value, if any. */
export const memberOf = async (ctx: { db: Db }, listId: number, value: string) =>
  (
    await ctx.db
      .select()
      .from(listMembers)
      .where(and(eq(listMembers.listId, listId), eq(listMembers.value, value)))
  )[0]
