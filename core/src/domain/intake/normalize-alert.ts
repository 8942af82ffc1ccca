import { AppError } from '../../errors.ts'
import { dateProblem, fieldNameProblem, findUnstorable, MAX_DEPTH } from '../../storable.ts'
import {
  bracketMessageId,
  CLASSIFICATIONS,
  type Endpoint,
  LINK_ATTRIBUTES,
  MAX_RECIPIENTS,
  type NormalizedAlert,
  type NormalizedEmail,
  SEVERITIES,
  SEVERITY_ALIASES,
} from '../alerts/alert-model.ts'

// The model lives in domain/alerts/alert-model.ts (issue 14 §1b); re-exported for this reader's callers.
export {
  bracketMessageId,
  CLASSIFICATIONS,
  type Endpoint,
  LINK_ATTRIBUTES,
  MAX_RECIPIENTS,
  type NormalizedAlert,
  type NormalizedEmail,
  SEVERITIES,
  type Severity,
} from '../alerts/alert-model.ts'
export { MAX_DEPTH }

const bad = (field: string, message: string) => new AppError('INVALID_REQUEST', `${field}: ${message}`)

/** PostgreSQL text and jsonb cannot hold U+0000. */
export const hasNul = (s: string) => s.includes('\u0000')

/**
 * Rejects documents nested deeper than MAX_DEPTH, and any string or key PostgreSQL could not store
 * (U+0000, an unpaired surrogate: it would otherwise fail the whole group-commit batch and end as a
 * 500), naming where it is. Also run on every JSON-encoded nested value once decoded.
 */
const assertStorable = (value: unknown, root = '') => {
  const problem = findUnstorable(value, root)
  if (!problem) return
  const message = problem.message.startsWith('has a key that contains')
    ? problem.message.replace('has a key that contains', 'has a key containing')
    : problem.message
  throw bad(problem.at || 'body', message)
}

const spellingCache = new Map<string, string[]>()
/** `name` in snake_case, camelCase and without underscores (computed once per name). */
const spellings = (name: string) => {
  let s = spellingCache.get(name)
  if (!s) {
    s = [...new Set([name, name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), name.replace(/_/g, '')])]
    spellingCache.set(name, s)
  }
  return s
}
/** Reads `name` in snake_case or camelCase (and a few lower-case spellings). */
const pick = (o: Record<string, unknown>, ...names: string[]) => {
  for (const n of names) {
    for (const k of spellings(n)) if (o[k] !== undefined && o[k] !== null) return o[k]
  }
  return undefined
}

/**
 * A nested value sent as a JSON-encoded string, decoded (and checked like the body). Some clients
 * wrap it in an object under its own key (`"{\"cnc_hosts\": [...]}"` for `cnc_hosts`): unwrapped.
 */
const decodeIfString = (v: unknown, field: string): unknown => {
  if (typeof v !== 'string') return v
  const t = v.trim()
  if (!t.startsWith('{') && !t.startsWith('[')) return v
  let decoded: unknown
  try {
    decoded = JSON.parse(t)
  } catch {
    throw bad(field, 'a JSON-encoded value that is not valid JSON')
  }
  assertStorable(decoded, field)
  const name = field.split('.').findLast((part) => !/^\d+$/.test(part)) ?? field
  if (decoded && typeof decoded === 'object' && !Array.isArray(decoded)) {
    const keys = Object.keys(decoded)
    if (keys.length === 1 && spellings(name).includes(keys[0]!))
      return decodeIfString((decoded as Record<string, unknown>)[keys[0]!], field)
  }
  return decoded
}

/** One member of a list that must be an object (`[null]` is a 400 naming the member, not a crash). */
const memberOf = (v: unknown, field: string): Record<string, unknown> => {
  const o = objectOf(v, field)
  if (!o) throw bad(field, 'expected an object, not null')
  return o
}

const objectOf = (v: unknown, field: string): Record<string, unknown> | undefined => {
  const d = decodeIfString(v, field)
  if (d === undefined || d === null) return undefined
  if (typeof d !== 'object' || Array.isArray(d)) throw bad(field, 'expected an object')
  return d as Record<string, unknown>
}

const str = (v: unknown, field: string, max = 10_000): string | undefined => {
  if (v === undefined || v === null) return undefined
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  if (typeof v !== 'string') throw bad(field, 'expected a string')
  if (v.length > max) throw bad(field, `longer than ${max} characters`)
  return v
}

const num = (v: unknown, field: string): number | undefined => {
  if (v === undefined || v === null || v === '') return undefined
  const n = typeof v === 'string' ? Number(v) : v
  if (typeof n !== 'number' || !Number.isFinite(n)) throw bad(field, 'expected a number')
  return n
}

const strList = (v: unknown, field: string): string[] => {
  const d = decodeIfString(v, field)
  if (d === undefined || d === null) return []
  if (typeof d === 'string')
    return d
      .split(/[,;]\s*/)
      .map((s) => s.trim())
      .filter(Boolean)
  if (!Array.isArray(d)) throw bad(field, 'expected a list of strings')
  return d
    .map((x, i) => {
      if (x && typeof x === 'object')
        return str(pick(x as Record<string, unknown>, 'email', 'address', 'url', 'value'), `${field}.${i}`) ?? ''
      return str(x, `${field}.${i}`) ?? ''
    })
    .filter(Boolean)
}

const endpoint = (v: unknown, field: string): Endpoint[] => {
  const d = decodeIfString(v, field)
  if (d === undefined || d === null) return []
  const items = Array.isArray(d) ? d : [d]
  return items.map((item, i) => {
    const f = Array.isArray(d) ? `${field}.${i}` : field
    const o = memberOf(item, f)
    const e: Endpoint = {}
    const set = (k: keyof Omit<Endpoint, 'port'>, ...names: string[]) => {
      const s = str(pick(o, ...names), `${f}.${names[0]}`)
      if (s) e[k] = s
    }
    set('ip_address', 'ip_address', 'ip')
    set('mac_address', 'mac_address', 'mac')
    set('host_name', 'host_name', 'hostname', 'host')
    set('machine_name', 'machine_name')
    set('url', 'url')
    set('user', 'user', 'username')
    const port = num(pick(o, 'port'), `${f}.port`)
    if (port !== undefined) e.port = port
    return e
  })
}

const hosts = (v: unknown, field: string) => {
  const d = decodeIfString(v, field)
  if (d === undefined || d === null) return []
  if (!Array.isArray(d)) throw bad(field, 'expected a list of {host, port}')
  return d.map((h, i) => {
    if (typeof h === 'string') return { host: h }
    const o = memberOf(h, `${field}.${i}`)
    const host = str(pick(o, 'host', 'host_name', 'ip_address', 'url'), `${field}.${i}.host`)
    if (!host) throw bad(`${field}.${i}.host`, 'required')
    const port = num(pick(o, 'port'), `${field}.${i}.port`)
    return port === undefined ? { host } : { host, port }
  })
}

const isoOrNull = (v: unknown, field: string) => {
  if (v === undefined || v === null || v === '') return null
  const raw = typeof v === 'object' && v !== null && 'millis' in v ? (v as { millis: unknown }).millis : v
  const d = typeof raw === 'number' ? new Date(raw) : new Date(String(raw))
  if (Number.isNaN(d.getTime())) throw bad(field, 'expected an ISO-8601 date')
  const problem = dateProblem(d)
  if (problem) throw bad(field, problem)
  return d.toISOString()
}

const capped = <T>(list: T[], max: number, field: string) => {
  if (list.length > max) throw bad(field, `more than ${max} entries`)
  return list
}

const email = (v: unknown, field: string): NormalizedEmail => {
  const o = memberOf(v, field)
  const recips = pick(o, 'recipient', 'recipients', 'to')
  const mid = str(pick(o, 'message_id', 'messageid', 'msg_id'), `${field}.message_id`, 1000)
  const atts = decodeIfString(pick(o, 'attachments', 'attachment'), `${field}.attachments`)
  if (atts !== undefined && !Array.isArray(atts)) throw bad(`${field}.attachments`, 'expected a list')
  const headers = objectOf(pick(o, 'headers'), `${field}.headers`) ?? {}
  return {
    messageId: mid ? bracketMessageId(mid) : null,
    sender: str(pick(o, 'sender', 'from', 'header_from'), `${field}.sender`, 1000) ?? '',
    recipients: capped(strList(recips, `${field}.recipient`), MAX_RECIPIENTS, `${field}.recipient`),
    subject: str(pick(o, 'subject'), `${field}.subject`) ?? '',
    deliveredAt: isoOrNull(
      pick(o, 'message_delivery_time', 'delivery_time', 'received', 'date'),
      `${field}.message_delivery_time`,
    ),
    headers,
    urls: strList(pick(o, 'urls', 'url'), `${field}.urls`),
    attachments: ((atts as unknown[]) ?? []).map((a, i) => {
      const f = `${field}.attachments.${i}`
      if (typeof a === 'string') return { name: a, size: null, contentType: '', md5: '', sha256: '' }
      const ao = memberOf(a, f)
      return {
        name: str(pick(ao, 'name', 'filename', 'file_name'), `${f}.name`) ?? '',
        size: num(pick(ao, 'size'), `${f}.size`) ?? null,
        contentType: str(pick(ao, 'content_type', 'type'), `${f}.content_type`) ?? '',
        md5: str(pick(ao, 'md5'), `${f}.md5`) ?? '',
        sha256: str(pick(ao, 'sha256', 'hash'), `${f}.sha256`) ?? '',
      }
    }),
    isAbuseCopy: pick(o, 'abuse_copy') === true || pick(o, 'abuse_copy') === 'true',
  }
}

const oneOf = <T extends string>(
  v: unknown,
  field: string,
  allowed: readonly T[],
  aliases?: Record<string, T>,
): T | undefined => {
  const s = str(v, field, 100)
  if (s === undefined || s === '') return undefined
  const key = s.trim().toLowerCase()
  const hit = aliases ? aliases[key] : (allowed as readonly string[]).includes(key) ? (key as T) : undefined
  if (!hit) throw bad(field, `expected one of ${allowed.join(', ')}`)
  return hit
}

/**
 * Reads one JSON alert. Pure: no I/O.
 * @throws AppError INVALID_REQUEST naming the first field that cannot be read.
 */
export const normalizeAlert = (body: unknown): NormalizedAlert => {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw bad('body', 'expected a JSON object (one alert)')
  assertStorable(body)
  const o = body as Record<string, unknown>
  const version = pick(o, 'json_version')
  if (version !== undefined && typeof version !== 'string' && typeof version !== 'number')
    throw bad('json_version', 'expected "1.0" or "2.0"')
  const v = version === undefined ? '2.0' : String(version).trim()
  if (!['1', '1.0', '2', '2.0'].includes(v)) throw bad('json_version', 'expected "1.0" or "2.0"')
  const jsonVersion = v.length === 1 ? `${v}.0` : v
  const emailRaw = decodeIfString(pick(o, 'email', 'emails'), 'email')
  const emails =
    emailRaw === undefined || emailRaw === null
      ? []
      : Array.isArray(emailRaw)
        ? emailRaw.map((e, i) => email(e, `email.${i}`))
        : [email(emailRaw, 'email')]
  const customRaw = decodeIfString(pick(o, 'custom_fields'), 'custom_fields')
  let customFields: Record<string, unknown> = {}
  if (Array.isArray(customRaw)) {
    for (const [i, f] of customRaw.entries()) {
      const fo = memberOf(f, `custom_fields.${i}`)
      const name = str(pick(fo, 'name'), `custom_fields.${i}.name`)
      if (!name) throw bad(`custom_fields.${i}.name`, 'required')
      const reserved = fieldNameProblem(name)
      if (reserved) throw bad(`custom_fields.${i}.name`, reserved)
      customFields[name] = fo.value ?? null
    }
  } else if (customRaw !== undefined && customRaw !== null) {
    customFields = objectOf(customRaw, 'custom_fields')!
    for (const name of Object.keys(customFields)) {
      const reserved = fieldNameProblem(name)
      if (reserved) throw bad(`custom_fields.${name}`, reserved)
    }
  }
  return {
    jsonVersion,
    summary: str(pick(o, 'summary'), 'summary') ?? '',
    description: str(pick(o, 'description'), 'description', 100_000) ?? '',
    classification: oneOf(pick(o, 'classification'), 'classification', CLASSIFICATIONS) ?? 'unknown',
    severity: oneOf(pick(o, 'severity'), 'severity', SEVERITIES, SEVERITY_ALIASES) ?? 'info',
    attackers: endpoint(pick(o, 'attacker', 'attackers'), 'attacker'),
    targets: endpoint(pick(o, 'target', 'targets'), 'target'),
    cncHosts: hosts(pick(o, 'cnc_hosts'), 'cnc_hosts'),
    forensicsHosts: hosts(pick(o, 'forensics_hosts'), 'forensics_hosts'),
    detector: objectOf(pick(o, 'detector'), 'detector') ?? {},
    threatInfo: objectOf(pick(o, 'threat_info'), 'threat_info') ?? {},
    customFields,
    linkAttribute: oneOf(pick(o, 'link_attribute'), 'link_attribute', LINK_ATTRIBUTES) ?? null,
    emails,
  }
}
