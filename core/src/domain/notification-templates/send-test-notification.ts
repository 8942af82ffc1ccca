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
import type { IncidentFacts } from '../responses/incident-facts.ts'
import { renderTemplate } from '../responses/render-template.ts'

/** The sample incident a test send is rendered with. */
export const SAMPLE_FACTS: IncidentFacts = {
  incident: {
    id: 12345,
    summary: 'Sample: phish from a lookalike domain',
    severity: 'High',
    state: 'open',
    score: 85,
    isPrivate: false,
    teamId: null,
  },
  senders: ['billing@examp1e-invoices.test'],
  senderDomains: ['examp1e-invoices.test'],
  recipients: ['jane.doe@corp.example'],
  reporters: ['jane.doe@corp.example'],
  subjects: ['Your invoice is overdue'],
  messageIds: ['<sample-123@examp1e-invoices.test>'],
  urls: [],
  urlDomains: [],
  attachmentHashes: [],
  attackerHosts: [],
  hosts: [],
}

/**
 * Renders a template with the sample incident and sends it through an smtp connector to one
 * address (the test-send button). A relay's refusal is the answer (`sent: false`, `error`), not a throw.
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
        subject: `[test] ${renderTemplate(template.subject, SAMPLE_FACTS, '1 successful')}`
          .replace(/[\r\n]+/g, ' ')
          .slice(0, 998),
        text: renderTemplate(template.body, SAMPLE_FACTS, '1 successful'),
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
