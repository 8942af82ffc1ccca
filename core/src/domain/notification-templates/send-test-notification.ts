import { eq } from 'drizzle-orm'
import { ConnectorError } from '../../connectors/errors.ts'
import { supports } from '../../connectors/types.ts'
import type { Keyring } from '../../crypto/master-secret.ts'
import type { Db } from '../../db/client.ts'
import { notificationTemplates } from '../../db/schema/index.ts'
import { notFound } from '../../errors.ts'
import type { Logger } from '../../log.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { appendAudit } from '../audit/append-audit.ts'
import { openConnector } from '../connectors/open-connector.ts'
import { renderSampleNotification } from './render-sample-notification.ts'

/**
 * Renders a template with the sample incident (render-sample-notification.ts, like the console's
 * preview) and sends it through an smtp connector to one address (the test-send button). A relay's refusal is the answer (`sent: false`, `error`), not a throw.
 * Audited when sent. @throws FORBIDDEN (sources.write), NOT_FOUND (template, connector), UNAVAILABLE (connector disabled)
 */
export const sendTestNotification = async (
  db: Db,
  keyring: Keyring,
  log: Logger,
  actor: Actor,
  templateId: number,
  input: { connectorId: number; to: string },
) => {
  assertCan(actor, 'sources.write')
  const [template] = await db.select().from(notificationTemplates).where(eq(notificationTemplates.id, templateId))
  if (!template) throw notFound('notification template')
  const opened = await openConnector(db, keyring, input.connectorId, { signal: AbortSignal.timeout(60_000), log })
  try {
    if (!supports(opened.connector, 'notify.email'))
      throw new ConnectorError('rejected', `connector ${opened.row.name} cannot send e-mail`)
    const receipt = await opened.connector.sendMail(
      {
        to: [input.to],
        ...renderSampleNotification(template),
        messageId: `<template-test-${templateId}-${Date.now()}@clawback.invalid>`,
      },
      opened.ctx,
    )
    await db.transaction((tx) =>
      appendAudit(tx, actor, {
        action: 'notification_template.test_send',
        objectType: 'notification_template',
        objectId: templateId,
        after: { connectorId: input.connectorId, to: input.to, accepted: receipt.accepted },
      }),
    )
    return { sent: receipt.accepted.length > 0, error: null, rejected: receipt.rejected.map((r) => r.address) }
  } catch (err) {
    // the relay's answer is the test's result, shown to whoever pressed the button
    if (err instanceof ConnectorError) return { sent: false, error: err.message, rejected: [] as string[] }
    throw err
  } finally {
    await opened.close()
  }
}
