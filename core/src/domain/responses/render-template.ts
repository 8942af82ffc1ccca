import type { IncidentFacts } from './incident-facts.ts'

/** The placeholders a notification template may use, with what they are replaced by. */
export const PLACEHOLDERS = {
  'incident.id': 'incident number',
  'incident.summary': 'incident summary',
  'incident.severity': 'incident severity',
  'incident.state': 'incident state',
  'incident.score': 'incident score',
  sender: 'sender address(es)',
  subject: 'subject(s) of the reported message',
  recipients: 'affected recipients',
  'message.ids': 'Message-ID(s)',
  'quarantine.status': 'quarantine results, e.g. "3 successful, 1 failed"',
} as const

/**
 * Plain-text substitution of `{{name}}` (unknown names stay as written, so a typo is visible in the
 * test send). No HTML, no code: a template is text an admin wrote, the values are untrusted text.
 */
export const renderTemplate = (text: string, facts: IncidentFacts, quarantineStatus: string) => {
  const values: Record<string, string> = {
    'incident.id': String(facts.incident.id),
    'incident.summary': facts.incident.summary,
    'incident.severity': facts.incident.severity,
    'incident.state': facts.incident.state,
    'incident.score': String(facts.incident.score),
    sender: facts.senders.join(', '),
    subject: facts.subjects.join(' | '),
    recipients: facts.recipients.join(', '),
    'message.ids': facts.messageIds.join(', '),
    'quarantine.status': quarantineStatus || 'no quarantine',
  }
  return text.replace(/\{\{\s*([a-z.]+)\s*\}\}/g, (whole, name: string) => values[name] ?? whole)
}

/**
 * The `{{…}}` names in a template that are not placeholders (in order, once each): the template
 * editor refuses them, since the renderer would leave them as written.
 */
export const unknownPlaceholders = (text: string) => [
  ...new Set(
    [...text.matchAll(/\{\{\s*([^{}]*?)\s*\}\}/g)]
      .map((m) => m[1]!)
      .filter((name) => !Object.hasOwn(PLACEHOLDERS, name)),
  ),
]

/** The two templates created on first start. */
export const DEFAULT_TEMPLATES = [
  {
    name: 'Message quarantined',
    subject: 'A message sent to you was removed: {{subject}}',
    body: `Hello,

A message you received was identified as a threat and has been moved out of your mailbox.

  From:    {{sender}}
  Subject: {{subject}}
  Status:  {{quarantine.status}}

There is nothing you need to do. If you were expecting this message, contact the security team
and quote incident {{incident.id}}.

-- Security team`,
  },
  {
    name: 'Message released',
    subject: 'A message was returned to your mailbox: {{subject}}',
    body: `Hello,

A message that had been removed from your mailbox was reviewed and put back where it was.

  From:    {{sender}}
  Subject: {{subject}}

Reference: incident {{incident.id}}.

-- Security team`,
  },
] as const
