import { z } from 'zod'
import { ConnectorError } from '../../../connectors/errors.ts'
import { supports } from '../../../connectors/types.ts'
import { openConnector } from '../../connectors/open-connector.ts'
import type { ResponseType } from '../response-type.ts'

const ZParams = z.strictObject({
  connectorId: z.number().int().positive(),
  event: z.string().max(100).default('incident.response'),
})

/**
 * POSTs the incident's facts to a webhook connector, signed (HMAC-SHA256 + timestamp) with
 * X-Clawback-Delivery = the run id, so a receiver can drop a retried duplicate.
 */
export const webhookPost: ResponseType<z.infer<typeof ZParams>> = {
  type: 'webhook.post',
  title: 'Send a webhook',
  params: ZParams,
  targets: () => [''],
  async run(p, _target, ctx) {
    const opened = await openConnector(ctx.db, ctx.keyring, p.connectorId, { signal: ctx.signal, log: ctx.log })
    try {
      if (!supports(opened.connector, 'webhook.post'))
        throw new ConnectorError('rejected', `connector ${opened.row.name} cannot post webhooks`)
      const { facts } = ctx
      const answer = await opened.connector.postJson(
        {
          event: p.event,
          deliveryId: `response-run-${ctx.runId}`,
          incident: facts.incident,
          senders: facts.senders,
          recipients: facts.recipients,
          subjects: facts.subjects,
          messageIds: facts.messageIds,
          urls: facts.urls,
          attachmentHashes: facts.attachmentHashes,
        },
        { deliveryId: `response-run-${ctx.runId}` },
        opened.ctx,
      )
      return { status: 'succeeded', details: { connector: opened.row.name, httpStatus: answer.status } }
    } finally {
      await opened.close()
    }
  },
}
