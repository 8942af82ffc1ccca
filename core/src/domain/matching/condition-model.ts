import { z } from 'zod'

/**
 * What a match condition can test, by field name. Values are read by `match-subject.ts` (one
 * subject per alert: the alert, its e-mails, its incident and the incident's field values).
 * Later issues add fields here (directory: `user.vip`, `user.department`; intel: `intel.hit`)
 * and a reader for each — the tree, the operators, the API and the form stay as they are.
 */
export const FIELDS = {
  classification: 'alert classification (phish, malware, spam, ...)',
  severity: 'alert severity',
  summary: 'alert summary',
  link_attribute: 'the alert’s link attribute',
  'email.sender': 'sender address',
  'email.sender_domain': 'sender domain',
  'email.recipient': 'recipient address',
  'email.recipient_domain': 'recipient domain',
  'email.subject': 'subject',
  'email.message_id': 'Message-ID (use op exists for "has a Message-ID")',
  'email.url': 'URL in the message',
  'email.url_domain': 'domain of a URL in the message',
  'email.attachment_sha256': 'SHA-256 of an attachment',
  'email.attachment_name': 'attachment file name',
  'attacker.host': 'attacker IP or host name',
  'threat.name': 'threat name',
  'incident.score': 'incident score (number)',
  'incident.severity': 'incident severity',
  'incident.state': 'incident state',
  'incident.abuse_disposition': 'the Abuse Disposition incident field',
} as const

export type FieldName = keyof typeof FIELDS
/** Also allowed: `custom.<name>` (alert custom field), `threat.<key>`, `incident.field.<name>`. */
export const PREFIXED_FIELDS = ['custom.', 'threat.', 'incident.field.'] as const

export const OPS = ['eq', 'neq', 'contains', 'in', 'exists', 'gte', 'lte', 'in_list'] as const
// No regular-expression operator on purpose: a pattern from the form would run in the workers on
// untrusted subjects, and JavaScript regexes can backtrack catastrophically (ReDoS).
export type Op = (typeof OPS)[number]

const ZFieldName = z
  .string()
  .max(200)
  .refine((f) => f in FIELDS || PREFIXED_FIELDS.some((p) => f.startsWith(p) && f.length > p.length), {
    message: 'unknown field',
  })

export const ZLeaf = z
  .strictObject({
    field: ZFieldName,
    op: z.enum(OPS),
    value: z.union([z.string().max(2000), z.number(), z.array(z.string().max(2000)).max(1000)]).optional(),
  })
  .superRefine((leaf, ctx) => {
    const need = (ok: boolean, message: string) => ok || ctx.addIssue({ code: 'custom', path: ['value'], message })
    if (leaf.op === 'in') need(Array.isArray(leaf.value), 'op in needs a list of values')
    else if (leaf.op === 'gte' || leaf.op === 'lte')
      need(typeof leaf.value === 'number', `op ${leaf.op} needs a number`)
    else if (leaf.op === 'in_list') need(typeof leaf.value === 'number', 'op in_list needs a list id')
    else if (leaf.op !== 'exists')
      need(typeof leaf.value === 'string' || typeof leaf.value === 'number', `op ${leaf.op} needs a value`)
  })

export type Leaf = z.infer<typeof ZLeaf>
export type Condition = { all: Condition[] } | { any: Condition[] } | { not: Condition } | Leaf | Record<string, never>

/** The condition tree: all / any / not / leaf; `{}` matches everything. At most 12 levels deep. */
export const ZCondition: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    z.strictObject({ all: z.array(ZCondition).min(1).max(100) }),
    z.strictObject({ any: z.array(ZCondition).min(1).max(100) }),
    z.strictObject({ not: ZCondition }),
    ZLeaf,
    z.strictObject({}),
  ]),
) as z.ZodType<Condition>

/** Depth of a tree, for the limit (zod's lazy schema cannot count it). */
export const conditionDepth = (c: Condition): number =>
  'all' in c
    ? 1 + Math.max(...c.all.map(conditionDepth))
    : 'any' in c
      ? 1 + Math.max(...c.any.map(conditionDepth))
      : 'not' in c
        ? 1 + conditionDepth(c.not)
        : 1
