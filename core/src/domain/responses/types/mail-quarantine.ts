import { z } from 'zod'
import { quarantineIncident } from '../../quarantine/quarantine-incident.ts'
import { restoreIncident } from '../../quarantine/restore-incident.ts'
import type { ResponseContext, ResponseType } from '../response-type.ts'

const ZParams = z.strictObject({
  followForwards: z.boolean().default(true).meta({ description: 'also pull copies forwarded inside the organisation' }),
  maxForwardDepth: z.number().int().min(0).max(10).default(3),
  autoClose: z.boolean().default(false).meta({ description: 'close the incident after a fully successful quarantine' }),
})

const qctx = (ctx: ResponseContext) => ({
  db: ctx.db,
  keyring: ctx.keyring,
  log: ctx.log,
  signal: ctx.signal,
  actor: ctx.actor,
  incidentId: ctx.incidentId,
  runId: ctx.runId,
})

/**
 * Pulls the incident's message out of every recipient's mailbox (quarantine domain); undo puts
 * every copy back where it was with its read state. Per-recipient results are in
 * quarantine_records; the run's details carry the counts.
 */
export const mailQuarantine: ResponseType<z.infer<typeof ZParams>> = {
  type: 'mail.quarantine',
  title: 'Quarantine the message',
  params: ZParams,
  permission: 'quarantine',
  targets: () => [''],
  async run(p, _target, ctx) {
    const { status, counts } = await quarantineIncident(qctx(ctx), p)
    return { status, details: counts }
  },
  async undo(_p, _target, ctx) {
    return { status: 'succeeded', details: await restoreIncident(qctx(ctx)) }
  },
}
