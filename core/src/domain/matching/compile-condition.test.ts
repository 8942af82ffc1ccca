import { describe, expect, it } from 'vitest'
import { compileCondition, listIdsOf } from './compile-condition.ts'
import { type Condition, ZCondition } from './condition-model.ts'
import { factsOf, type MatchSubject } from './match-subject.ts'

const subject: MatchSubject = {
  alert: {
    classification: 'Phish',
    severity: 'high',
    summary: 'Invoice lure',
    linkAttribute: null,
    attackers: [{ ip_address: '203.0.113.7' }],
    threatInfo: { name: 'Emotet' },
    customFields: { region: 'EMEA' },
  },
  emails: [
    {
      sender: 'billing@Evil.example',
      recipients: ['alice@corp.example', 'bob@corp.example'],
      subject: 'Your invoice',
      messageId: '<m1@evil.example>',
      urls: ['https://login.evil.example/x'],
      attachments: [{ name: 'invoice.html', sha256: 'AB'.repeat(32) }],
    },
  ],
  incident: { score: 70, severity: 'Major', state: 'open', fields: { 'Abuse Disposition': 'Malicious' } },
}
const lists = new Map([[4, new Set(['evil.example'])]])
const run = (c: unknown) => compileCondition(ZCondition.parse(c), lists)(factsOf(subject))

describe('match condition evaluation', () => {
  it.each<[string, unknown, boolean]>([
    ['empty matches everything', {}, true],
    ['eq is case-insensitive', { field: 'classification', op: 'eq', value: 'phish' }, true],
    ['neq', { field: 'classification', op: 'neq', value: 'malware' }, true],
    ['sender domain', { field: 'email.sender_domain', op: 'eq', value: 'evil.example' }, true],
    ['any recipient', { field: 'email.recipient', op: 'eq', value: 'bob@corp.example' }, true],
    ['recipient domain in', { field: 'email.recipient_domain', op: 'in', value: ['corp.example', 'x'] }, true],
    ['subject contains', { field: 'email.subject', op: 'contains', value: 'INVOICE' }, true],
    ['message-id present', { field: 'email.message_id', op: 'exists' }, true],
    ['url domain', { field: 'email.url_domain', op: 'eq', value: 'login.evil.example' }, true],
    ['attachment hash', { field: 'email.attachment_sha256', op: 'eq', value: 'ab'.repeat(32) }, true],
    ['attacker host', { field: 'attacker.host', op: 'eq', value: '203.0.113.7' }, true],
    ['threat name', { field: 'threat.name', op: 'eq', value: 'emotet' }, true],
    ['custom field', { field: 'custom.region', op: 'eq', value: 'emea' }, true],
    ['score gte', { field: 'incident.score', op: 'gte', value: 70 }, true],
    ['score lte', { field: 'incident.score', op: 'lte', value: 69 }, false],
    ['disposition', { field: 'incident.abuse_disposition', op: 'eq', value: 'malicious' }, true],
    ['incident field', { field: 'incident.field.Abuse Disposition', op: 'eq', value: 'malicious' }, true],
    ['sender domain on list', { field: 'email.sender_domain', op: 'in_list', value: 4 }, true],
    ['unknown list never matches', { field: 'email.sender_domain', op: 'in_list', value: 5 }, false],
    [
      'all',
      {
        all: [
          { field: 'severity', op: 'eq', value: 'high' },
          { field: 'classification', op: 'eq', value: 'spam' },
        ],
      },
      false,
    ],
    [
      'any',
      {
        any: [
          { field: 'severity', op: 'eq', value: 'low' },
          { field: 'classification', op: 'eq', value: 'phish' },
        ],
      },
      true,
    ],
    ['not', { not: { field: 'severity', op: 'eq', value: 'high' } }, false],
    ['absent value', { field: 'custom.nope', op: 'exists' }, false],
  ])('%s', (_name, condition, expected) => {
    expect(run(condition)).toBe(expected)
  })

  it('refuses unknown fields, wrong value types and unknown keys, naming the place', () => {
    const issue = (c: unknown) => {
      const r = ZCondition.safeParse(c)
      return r.success ? undefined : r.error.issues[0]
    }
    expect(issue({ field: 'nope', op: 'eq', value: 'x' })).toBeDefined()
    expect(issue({ field: 'severity', op: 'in', value: 'x' })).toBeDefined()
    expect(issue({ field: 'incident.score', op: 'gte', value: 'x' })).toBeDefined()
    expect(issue({ all: [] })).toBeDefined()
    expect(issue({ field: 'severity', op: 'eq', value: 'x', extra: 1 })).toBeDefined()
  })

  it('collects the lists a tree uses', () => {
    const c: Condition = {
      any: [
        { field: 'email.sender', op: 'in_list', value: 3 },
        { not: { field: 'email.url_domain', op: 'in_list', value: 9 } },
      ],
    }
    expect([...listIdsOf(c)]).toEqual([3, 9])
  })
})
