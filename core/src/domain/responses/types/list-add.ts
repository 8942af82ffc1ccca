import { and, eq } from 'drizzle-orm'
import { z } from 'zod'
import { listMembers } from '../../../db/schema/index.ts'
import { addMember } from '../../lists/add-list-member.ts'
import { deleteMember } from '../../lists/delete-list-member.ts'
import type { IncidentFacts } from '../incident-facts.ts'
import type { ResponseType } from '../response-type.ts'

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
const ZParams = z.strictObject({
  listId: z.number().int().positive(),
  valueFrom: z.enum(VALUE_SOURCES),
  expiresInDays: z.number().int().min(1).max(3650).optional(),
  description: z.string().max(500).default(''),
})

const memberOf = async (ctx: { db: import('../../../db/client.ts').Db }, listId: number, value: string) =>
  (
    await ctx.db
      .select()
      .from(listMembers)
      .where(and(eq(listMembers.listId, listId), eq(listMembers.value, value)))
  )[0]

/** Adds each value to the list (with expiry); undo removes it again — unless it was on the list before. */
export const listAdd: ResponseType<z.infer<typeof ZParams>> = {
  type: 'list.add',
  title: 'Add to list',
  params: ZParams,
  targets: (p, facts: IncidentFacts) => facts[p.valueFrom],
  async run(p, target, ctx) {
    const before = await memberOf(ctx, p.listId, target)
    const expiration = p.expiresInDays ? new Date(Date.now() + p.expiresInDays * 86_400_000) : null
    const { member } = await addMember(ctx.db, ctx.actor, p.listId, {
      member: target,
      description: p.description || `incident ${ctx.incidentId}`,
      expiration: before ? undefined : expiration,
      originIncidentId: ctx.incidentId,
    })
    return {
      status: 'succeeded',
      details: { listId: p.listId, value: member.value, wasPresent: !!before, expiresAt: member.expiresAt ?? null },
    }
  },
  async undo(p, target, ctx) {
    const row = await memberOf(ctx, p.listId, target)
    if (!row)
      return {
        status: 'succeeded',
        details: { listId: p.listId, value: target, removed: false, note: 'not on the list any more' },
      }
    await deleteMember(ctx.db, ctx.actor, p.listId, row.id)
    return { status: 'succeeded', details: { listId: p.listId, value: target, removed: true } }
  },
}

/** Removes each value from the list; undo adds it back. */
export const listRemove: ResponseType<z.infer<typeof ZParams>> = {
  type: 'list.remove',
  title: 'Remove from list',
  params: ZParams,
  targets: (p, facts) => facts[p.valueFrom],
  async run(p, target, ctx) {
    const row = await memberOf(ctx, p.listId, target)
    if (row) await deleteMember(ctx.db, ctx.actor, p.listId, row.id)
    return { status: 'succeeded', details: { listId: p.listId, value: target, removed: !!row } }
  },
  async undo(p, target, ctx) {
    await addMember(ctx.db, ctx.actor, p.listId, {
      member: target,
      description: p.description,
      originIncidentId: ctx.incidentId,
    })
    return { status: 'succeeded', details: { listId: p.listId, value: target, restored: true } }
  },
}
