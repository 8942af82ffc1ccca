import type { IncidentFacts } from '../responses/incident-facts.ts'
import { renderTemplate } from '../responses/render-template.ts'

/** The sample incident a preview and a test send are rendered with. */
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
 * A template (saved or a draft in the editor) rendered against the sample incident with the same
 * renderer the email.notify response uses: the console's preview shows exactly what a test send
 * delivers. Pure; never throws.
 */
export const renderSampleNotification = (template: { subject: string; body: string }) => ({
  subject: `[test] ${renderTemplate(template.subject, SAMPLE_FACTS, '1 successful')}`
    .replace(/[\r\n]+/g, ' ')
    .slice(0, 998),
  text: renderTemplate(template.body, SAMPLE_FACTS, '1 successful'),
})
