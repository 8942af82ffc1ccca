import { eq, sql } from 'drizzle-orm'
import { z } from 'zod'
import { ConnectorError } from '../../../connectors/errors.ts'
import { supports } from '../../../connectors/types.ts'
import { notificationTemplates, quarantineRecords, responseRuns } from '../../../db/schema/index.ts'
import { AppError } from '../../../errors.ts'
import { openConnector } from '../../connectors/open-connector.ts'
import { markDelivery, readDeliveryMark } from '../delivery-mark.ts'
import { renderTemplate } from '../render-template.ts'
import type { ResponseContext, ResponseType } from '../response-type.ts'

const ZParams = z
  .strictObject({
    connectorId: z.number().int().positive().meta({ description: 'an smtp connector' }),
    templateId: z.number().int().positive(),
    toRecipients: z.boolean().default(true).meta({ description: "the incident's affected recipients" }),
    toReporters: z
      .boolean()
      .default(false)
      .meta({ description: 'the users who reported the message to an abuse mailbox (feedback on the verdict)' }),
    extraAddresses: z
      .array(z.email().max(320))
      .max(100)
      .default([])
      .meta({ description: 'people or distribution lists' }),
  })
  .refine((p) => p.toRecipients || p.toReporters || p.extraAddresses.length > 0, {
    message: 'no one to send to',
    path: ['extraAddresses'],
  })

/**
 * One e-mail from a template to the affected recipients and/or extra addresses. The Message-ID is
 * fixed per run, so a receiver (or a retry) can recognise the same notification. Addresses the
 * relay refused while it accepted others make the run `partial`, each with the relay's answer.
 * At most once: an attempt that died inside the SMTP transaction (the worker was killed; a relay
 * may already have taken the message before its 250 — RFC 1047) is not sent again; the run ends
 * `partial` with `inDoubt` so an analyst can check and resend by hand.
 */
export const emailNotify: ResponseType<z.infer<typeof ZParams>> = {
  type: 'email.notify',
  title: 'E-mail notification',
  params: ZParams,
  targets: () => [''],
  async run(p, _target, ctx) {
    const [template] = await ctx.db
      .select()
      .from(notificationTemplates)
      .where(eq(notificationTemplates.id, p.templateId))
    if (!template) throw new AppError('NOT_FOUND', `notification template ${p.templateId} not found`)
    const to = [
      ...new Set([
        ...(p.toRecipients ? ctx.facts.recipients : []),
        ...(p.toReporters ? ctx.facts.reporters : []),
        ...p.extraAddresses.map((a) => a.toLowerCase()),
      ]),
    ]
    if (to.length === 0)
      return { status: 'succeeded', details: { sent: false, reason: 'the incident has no recipients' } }
    const counts = await ctx.db
      .select({ status: quarantineRecords.status, n: sql<number>`count(*)::int` })
      .from(quarantineRecords)
      .where(eq(quarantineRecords.incidentId, ctx.incidentId))
      .groupBy(quarantineRecords.status)
    const messageId = `<response-run-${ctx.runId}@clawback.invalid>`
    if (await readDeliveryMark(ctx))
      return {
        status: 'partial',
        details: {
          template: template.name,
          inDoubt: true,
          messageId,
          to,
          reason: 'an earlier attempt stopped inside the SMTP transaction; not sent again, so no one gets it twice',
        },
      }
    const quarantine = counts.map((c) => `${c.n} ${c.status}`).join(', ')
    const opened = await openConnector(ctx.db, ctx.keyring, p.connectorId, { signal: ctx.signal, log: ctx.log })
    await markDelivery(ctx, { delivery: 'sending', ref: messageId })
    try {
      if (!supports(opened.connector, 'notify.email'))
        throw new ConnectorError('rejected', `connector ${opened.row.name} cannot send e-mail`)
      const receipt = await opened.connector.sendMail(
        {
          to,
          subject: renderTemplate(template.subject, ctx.facts, quarantine)
            .replace(/[\r\n]+/g, ' ')
            .slice(0, 998),
          text: renderTemplate(template.body, ctx.facts, quarantine),
          messageId,
          headers: { 'X-Clawback-Incident': String(ctx.incidentId) },
        },
        opened.ctx,
      )
      return {
        status: receipt.rejected.length ? 'partial' : 'succeeded',
        details: { template: template.name, accepted: receipt.accepted, rejected: receipt.rejected },
      }
    } catch (err) {
      // the relay answered (or the connection failed) while this process was alive: the outcome is known
      await markDelivery(ctx, null)
      throw err
    } finally {
      await opened.close()
    }
  },
}
