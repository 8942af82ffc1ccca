import type { z } from 'zod'
import { addMember } from '../../lists/add-list-member.ts'
import { deleteMember } from '../../lists/delete-list-member.ts'
import type { ResponseType } from '../response-type.ts'
import { memberOf, ZListParams } from './list-params.ts'

/** Removes each value from the list; undo adds it back. */
export const listRemove: ResponseType<z.infer<typeof ZListParams>> = {
  type: 'list.remove',
  title: 'Remove from list',
  params: ZListParams,
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
