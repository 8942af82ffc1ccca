import type { z } from 'zod'
import { addMember } from '../../lists/add-list-member.ts'
import { deleteMember } from '../../lists/delete-list-member.ts'
import type { IncidentFacts } from '../incident-facts.ts'
import type { ResponseType } from '../response-type.ts'
import { memberOf, ZListParams } from './list-params.ts'

/** Adds each value to the list (with expiry); undo removes it again — unless it was on the list before. */
export const listAdd: ResponseType<z.infer<typeof ZListParams>> = {
  type: 'list.add',
  title: 'Add to list',
  params: ZListParams,
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
