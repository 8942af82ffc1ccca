import type { alertEmails, alerts } from '../../db/schema/index.ts'

type Subject = { alert: typeof alerts.$inferSelect; emails: (typeof alertEmails.$inferSelect)[] }

/**
 * The condition tree of a match condition: `{all: [...]}`, `{any: [...]}`, `{not: cond}`, or a leaf
 * `{field, op, value}` with op `eq | neq | contains | in | exists`. An empty object matches
 * everything. Fields: classification, severity, summary, link_attribute, email.sender,
 * email.recipient, email.subject, email.message_id, threat.<name>, custom.<name>.
 */
export type Condition =
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition }
  | { field: string; op: 'eq' | 'neq' | 'contains' | 'in' | 'exists'; value?: unknown }
  | Record<string, never>

const valuesOf = (field: string, s: Subject): string[] => {
  const { alert, emails } = s
  const one = (v: unknown) => (v === undefined || v === null ? [] : [String(v)])
  switch (field) {
    case 'classification':
      return [alert.classification]
    case 'severity':
      return [alert.severity]
    case 'summary':
      return [alert.summary]
    case 'link_attribute':
      return one(alert.linkAttribute)
    case 'email.sender':
      return emails.map((e) => e.sender)
    case 'email.recipient':
      return emails.flatMap((e) => e.recipients)
    case 'email.subject':
      return emails.map((e) => e.subject)
    case 'email.message_id':
      return emails.flatMap((e) => one(e.messageId))
  }
  if (field.startsWith('threat.')) return one((alert.threatInfo as Record<string, unknown>)[field.slice(7)])
  if (field.startsWith('custom.')) return one((alert.customFields as Record<string, unknown>)[field.slice(7)])
  return []
}

/** Pure evaluation of one condition tree against an alert and its emails. Unknown shapes never match. */
export const evaluateCondition = (c: unknown, s: Subject): boolean => {
  if (!c || typeof c !== 'object') return false
  const o = c as Record<string, unknown>
  if (Object.keys(o).length === 0) return true
  if (Array.isArray(o.all)) return o.all.every((x) => evaluateCondition(x, s))
  if (Array.isArray(o.any)) return o.any.some((x) => evaluateCondition(x, s))
  if (o.not) return !evaluateCondition(o.not, s)
  if (typeof o.field !== 'string') return false
  const vals = valuesOf(o.field, s).map((v) => v.toLowerCase())
  const want = Array.isArray(o.value)
    ? o.value.map((v) => String(v).toLowerCase())
    : [String(o.value ?? '').toLowerCase()]
  switch (o.op) {
    case 'eq':
      return vals.some((v) => v === want[0])
    case 'neq':
      return vals.every((v) => v !== want[0])
    case 'contains':
      return vals.some((v) => v.includes(want[0]!))
    case 'in':
      return vals.some((v) => want.includes(v))
    case 'exists':
      return vals.some((v) => v !== '')
  }
  return false
}
