import { z } from 'zod'
import { ConnectorError } from '../../../connectors/errors.ts'
import { supports } from '../../../connectors/types.ts'
import { openConnector } from '../../connectors/open-connector.ts'
import { markDelivery, readDeliveryMark } from '../delivery-mark.ts'
import type { ResponseType } from '../response-type.ts'

const ZParams = z.strictObject({
  connectorId: z.number().int().positive(),
  event: z.string().max(100).default('incident.response'),
})

/**
 * POSTs the incident's facts to a webhook connector, signed (HMAC-SHA256 + timestamp) with
 * X-Clawback-Delivery = the run id. At most once, like e-mail: an attempt that died after sending
 * and before recording the receiver's answer (the worker was killed) is not posted again; the run
 * ends `partial` with `inDoubt` so an analyst can check the receiver and run it again by hand.
 */
export const webhookPost: ResponseType<z.infer<typeof ZParams>> = {
  type: 'webhook.post',
  title: 'Send a webhook',
  params: ZParams,
  targets: () => [''],
  async run(p, _target, ctx) {
    const deliveryId = `response-run-${ctx.runId}`
    if (await readDeliveryMark(ctx))
      return {
        status: 'partial',
        details: {
          inDoubt: true,
          deliveryId,
          reason: 'an earlier attempt stopped after posting and before the answer was recorded; not posted again',
        },
      }
    const opened = await openConnector(ctx.db, ctx.keyring, p.connectorId, { signal: ctx.signal, log: ctx.log })
    await markDelivery(ctx, { delivery: 'sending', ref: deliveryId })
    try {
      if (!supports(opened.connector, 'webhook.post'))
        throw new ConnectorError('rejected', `connector ${opened.row.name} cannot post webhooks`)
      const { facts } = ctx
      const answer = await opened.connector.postJson(
        {
          event: p.event,
          deliveryId,
          incident: facts.incident,
          senders: facts.senders,
          recipients: facts.recipients,
          subjects: facts.subjects,
          messageIds: facts.messageIds,
          urls: facts.urls,
          attachmentHashes: facts.attachmentHashes,
        },
        { deliveryId },
        opened.ctx,
      )
      return { status: 'succeeded', details: { connector: opened.row.name, httpStatus: answer.status } }
    } catch (err) {
      // the receiver answered (or the connection failed) while this process was alive: the outcome is known
      await markDelivery(ctx, null)
      throw err
    } finally {
      await opened.close()
    }
  },
}
