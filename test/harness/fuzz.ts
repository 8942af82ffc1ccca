import { sql } from 'drizzle-orm'
import fc from 'fast-check'
import type { Hono } from 'hono'
import type { AppEnv } from '../../core/src/api/env.ts'
import { createInvestigation } from '../../core/src/domain/investigations/create-investigation.ts'
import { createList } from '../../core/src/domain/lists/create-list.ts'
import { SYSTEM } from '../../core/src/policy/actor.ts'
import type { TestApp } from './app.ts'
import { makeApiKey, makeTeam, makeUser, PASSWORD, signInAs } from './factories.ts'
import { alertBody, makeJsonSource } from './intake.ts'

/**
 * Property-based requests (issue 13 item 10) generated from the OpenAPI document (parameters and
 * JSON bodies by schema) and from the route table (every route of the analyst and console apps,
 * pages included), sent with every role, mixing well-formed values with hostile ones (NUL, unpaired
 * surrogates, ids beyond bigint, dates beyond PostgreSQL's range, deep nesting, __proto__ keys,
 * malformed percent-encoding). Used by the bounded suite test and the long run (test/bench/fuzz.ts).
 */

type Schema = {
  type?: string | string[]
  properties?: Record<string, Schema>
  required?: string[]
  items?: Schema
  enum?: unknown[]
  const?: unknown
  anyOf?: Schema[]
  oneOf?: Schema[]
  additionalProperties?: Schema | boolean
  format?: string
  minimum?: number
  maximum?: number
  default?: unknown
}
type Param = { name: string; in: 'query' | 'path'; schema?: Schema }
export type Target = {
  app: 'api' | 'console'
  method: string
  /** Hono path, `:name` params */
  path: string
  query: Param[]
  body?: Schema
  /** a route whose failures legitimately write (sign-in counts failures and audits lockouts) */
  writesOnFailure: boolean
}
export type Role = { name: string; headers: Record<string, string>; isSession: boolean; permissions?: number }
export type FuzzCase = { target: Target; role: Role; url: string; init: RequestInit; label: string }

const HOSTILE_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfff',
  '\u{1F600}',
  '99999999999999999999',
  '9223372036854775808',
  '-1',
  '0',
  '1e308',
  'NaN',
  '99999-01-01',
  '+275760-09-13T00:00:00Z',
  '-000001-01-01',
  '2020-02-30',
  '2020-02-22',
  '2020-02-22T10:00:00Z',
  '__proto__',
  'constructor',
  '{incident_id}',
  '<a@b>',
  '../../etc/passwd',
  'true',
  'none',
  'x'.repeat(5000),
  '%',
  '{"cnc_hosts":[{"host":"h"}]}',
  `${'['.repeat(200)}${']'.repeat(200)}`,
]
/** Percent-encoded query/path text that is not valid UTF-8 or decodes to hostile text. */
const HOSTILE_ENCODED = ['%00', '%E0%A4%A', '%ED%A0%80', '%FF', '%25', '%2e%2e%2f', '%0d%0a', '99999999999999999999']

const hostileString = fc.oneof(
  fc.constantFrom(...HOSTILE_STRINGS),
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 10 }),
)

/** JSON values of any shape (small), hostile strings among them. */
const anyJson: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    hostileString,
    fc.constantFrom(null, true, false, 0, -1, 1.5, 2 ** 53, 1e20, -1e20),
    fc.integer(),
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(
      fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('__proto__', 'constructor', 'a\u0000')),
      tie('v'),
      {
        maxKeys: 3,
      },
    ),
  ),
})).v

/** A value for a JSON schema: mostly valid-looking, sometimes hostile, sometimes anything. */
export const fromSchema = (s: Schema | undefined, ids: number[], depth = 0): fc.Arbitrary<unknown> => {
  if (!s || depth > 4) return anyJson
  const variants = s.anyOf ?? s.oneOf
  if (variants?.length) return fc.oneof(...variants.map((v) => fromSchema(v, ids, depth + 1)))
  if (s.const !== undefined) return fc.oneof(fc.constant(s.const), hostileString)
  if (s.enum?.length)
    return fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...s.enum) }, { weight: 1, arbitrary: hostileString })
  const type = Array.isArray(s.type) ? s.type[0] : s.type
  const valid: fc.Arbitrary<unknown> = (() => {
    switch (type) {
      case 'string':
        return s.format === 'date-time' || s.format === 'date'
          ? fc.constantFrom('2024-01-02', '2024-01-02T03:04:05Z', '99999-01-01', '+275760-09-13T00:00:00Z', 'soon')
          : s.format === 'email'
            ? fc.constantFrom('a@b.example', 'not-an-email', 'a\u0000@b.example')
            : fc.oneof(
                fc.string({ maxLength: 30 }),
                fc.constantFrom('Admins', 'Analysts', 'Script-Admins', 'High', 'Malicious', 'open', 'closed'),
              )
      case 'integer':
      case 'number':
        return fc.oneof(
          fc.constantFrom(...ids),
          fc.integer({ min: -5, max: 100 }),
          fc.constantFrom(2 ** 53, 1e20, 2 ** 63, 0.5),
        )
      case 'boolean':
        return fc.boolean()
      case 'null':
        return fc.constant(null)
      case 'array':
        return fc.array(fromSchema(s.items, ids, depth + 1), { maxLength: 4 })
      case 'object': {
        const props = Object.entries(s.properties ?? {})
        const record: Record<string, fc.Arbitrary<unknown>> = {}
        for (const [k, v] of props) record[k] = fromSchema(v, ids, depth + 1)
        const base = fc.record(record, { requiredKeys: (s.required ?? []).filter((k) => k in record) })
        const extra =
          s.additionalProperties && typeof s.additionalProperties === 'object'
            ? fc.dictionary(
                fc.oneof(
                  fc.string({ maxLength: 10 }),
                  fc.constantFrom('Severity', 'Classification', '__proto__', 'constructor'),
                ),
                fromSchema(s.additionalProperties, ids, depth + 1),
                { maxKeys: 3 },
              )
            : fc.constant({})
        return fc.tuple(base, extra).map(([a, b]) => ({ ...b, ...a }))
      }
      default:
        return anyJson
    }
  })()
  return fc.oneof(
    { weight: 6, arbitrary: valid },
    { weight: 1, arbitrary: hostileString },
    { weight: 1, arbitrary: anyJson },
  )
}

/** Query parameters pages read (list filters, paging, return paths); undocumented, so fuzzed for every page. */
const PAGE_QUERY: Param[] = [
  'q',
  'state',
  'tab',
  'action',
  'actor',
  'created_from',
  'created_to',
  'severity',
  'team_id',
  'assignee_id',
  'sort',
  'order',
  'cursor',
  'page',
  'next',
  'return',
].map((name) => ({ name, in: 'query' as const }))

/** Every route: the OpenAPI document's operations (with their schemas) and the rest of the route table. */
export const collectTargets = async (t: TestApp): Promise<Target[]> => {
  const doc = (await (await t.api.request('/api/openapi.json')).json()) as {
    paths: Record<
      string,
      Record<string, { parameters?: Param[]; requestBody?: { content?: Record<string, { schema?: Schema }> } }>
    >
  }
  const targets = new Map<string, Target>()
  const writesOnFailure = (path: string) => /login|logout|password|setup/.test(path)
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const honoPath = path.replace(/\{(\w+)\}/g, ':$1')
      targets.set(`api ${method.toUpperCase()} ${honoPath}`, {
        app: 'api',
        method: method.toUpperCase(),
        path: honoPath,
        query: (op.parameters ?? []).filter((p) => p.in === 'query'),
        body: op.requestBody?.content?.['application/json']?.schema,
        writesOnFailure: writesOnFailure(path),
      })
    }
  }
  for (const [app, hono] of [
    ['api', t.api],
    ['console', t.console],
  ] as const) {
    for (const r of (hono as Hono<AppEnv>).routes) {
      if (r.method === 'ALL' || r.path.includes('*')) continue
      const key = `${app} ${r.method} ${r.path}`
      if (!targets.has(key))
        targets.set(key, {
          app,
          method: r.method,
          path: r.path,
          query: PAGE_QUERY,
          writesOnFailure: writesOnFailure(r.path),
        })
    }
  }
  return [...targets.values()].sort((a, b) =>
    `${a.app}${a.path}${a.method}`.localeCompare(`${b.app}${b.path}${b.method}`),
  )
}

export const ROLE_NAMES = [
  'anonymous',
  'key:Admins',
  'key:Script-Admins',
  'key:Analysts',
  'session:api',
  'session:console',
] as const

/** One role: anonymous, an API key of one built-in team, or a signed-in Admin session (with CSRF) on one app. */
export const makeRole = async (t: TestApp, name: (typeof ROLE_NAMES)[number]): Promise<Role> => {
  let role: Role
  if (name === 'anonymous') role = { name, headers: {}, isSession: false }
  else if (name.startsWith('key:'))
    role = { name, headers: { authorization: await makeApiKey(t.deps.db, [name.slice(4)]) }, isSession: false }
  else {
    const { user } = await makeUser(t.deps.db, ['Admins', 'Analysts'])
    const s = await signInAs(name === 'session:api' ? t.api : t.console, user.username, PASSWORD)
    role = { name, headers: { cookie: s.cookie, 'x-csrf-token': s.csrf }, isSession: true }
  }
  role.permissions = (await permissionsOf(t, role))?.length
  return role
}

/** Every role of ROLE_NAMES. */
export const makeRoles = async (t: TestApp): Promise<Role[]> => {
  const roles: Role[] = []
  for (const name of ROLE_NAMES) roles.push(await makeRole(t, name))
  return roles
}

/** Objects for the ids the generators pick (so valid-looking requests reach the domain). */
export const makeFixtures = async (t: TestApp): Promise<number[]> => {
  const src = await makeJsonSource(t)
  const ids = new Set<number>()
  for (let i = 0; i < 3; i++) {
    const r = (await (await src.post(alertBody())).json()) as { incident_id: number; alert_id: number }
    ids.add(r.incident_id).add(r.alert_id)
  }
  ids.add(src.source.id)
  ids.add((await makeTeam(t.deps.db, { isPrivate: true })).id)
  ids.add((await makeUser(t.deps.db, ['Analysts'])).user.id)
  ids.add((await createList(t.deps.db, t.deps.keyring, SYSTEM, { name: 'fuzz list', type: 'host' })).list.id)
  ids.add((await createInvestigation(t.deps.db, SYSTEM, { name: 'fuzz investigation' })).id)
  return [...ids]
}

const pathValue = (ids: number[]) =>
  fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...ids).map(String) },
    { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_ENCODED, '0', 'x.json', '1.json', '%7Bincident_id%7D') },
    { weight: 1, arbitrary: hostileString.map(encodeURIComponentSafe) },
  )

/** encodeURIComponent that also takes unpaired surrogates (as their raw, invalid percent-encoding). */
function encodeURIComponentSafe(s: string) {
  try {
    return encodeURIComponent(s)
  } catch {
    return '%ED%A0%80'
  }
}

const queryValue = (p: Param, ids: number[]) =>
  fc.oneof(
    {
      weight: 3,
      arbitrary: fromSchema(p.schema, ids).map((v) =>
        encodeURIComponentSafe(typeof v === 'string' ? v : (JSON.stringify(v) ?? '')),
      ),
    },
    { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_ENCODED) },
  )

/** The arbitrary of one request against `targets` with `roles`. */
export const requestArb = (targets: Target[], roles: Role[], ids: number[]): fc.Arbitrary<FuzzCase> =>
  fc.tuple(fc.constantFrom(...targets), fc.constantFrom(...roles), fc.nat()).chain(([target, role]) => {
    const params = [...target.path.matchAll(/:(\w+)/g)].map((m) => m[1]!)
    const pathArb = fc.tuple(...params.map(() => pathValue(ids))).map((vals) => {
      let i = 0
      return target.path.replace(/:(\w+)/g, () => vals[i++] ?? '1')
    })
    const queryArb = fc
      .tuple(...target.query.map((p) => fc.option(queryValue(p, ids), { nil: undefined, freq: 2 })))
      .map((vals) =>
        target.query
          .map((p, i) => (vals[i] === undefined ? undefined : `${p.name}=${vals[i]}`))
          .filter(Boolean)
          .join('&'),
      )
    const hasBody = !['GET', 'HEAD'].includes(target.method)
    const bodyArb: fc.Arbitrary<{ body?: string; type?: string }> = hasBody
      ? fc.oneof(
          {
            weight: 6,
            arbitrary: fromSchema(target.body, ids).map((v) => ({
              body: JSON.stringify(v) ?? 'null',
              type: 'application/json',
            })),
          },
          {
            weight: 1,
            arbitrary: fc
              .dictionary(
                fc.constantFrom(
                  'name',
                  'summary',
                  'team',
                  'assignee',
                  'description',
                  'file',
                  'password',
                  'username',
                  'member',
                  'action',
                  'ids',
                ),
                hostileString,
                { maxKeys: 4 },
              )
              .map((d) => ({ body: new URLSearchParams(d).toString(), type: 'application/x-www-form-urlencoded' })),
          },
          {
            weight: 1,
            arbitrary: fc.constantFrom(
              { body: '{"a":', type: 'application/json' },
              { body: `${'['.repeat(5000)}${']'.repeat(5000)}`, type: 'application/json' },
              { body: '"\\ud800"', type: 'application/json' },
              { body: 'message-id,recipient\r\n<a@x>,a@b.example\r\n', type: 'text/csv' },
              { body: '\u0000\u0001', type: 'application/octet-stream' },
              { body: '', type: 'application/json' },
            ),
          },
        )
      : fc.constant({})
    return fc.tuple(pathArb, queryArb, bodyArb).map(([path, query, b]) => {
      const headers: Record<string, string> = { ...role.headers }
      if (b.type) headers['content-type'] = b.type
      const url = `${path}${query ? `?${query}` : ''}`
      return {
        target,
        role,
        url,
        init: { method: target.method, headers, body: b.body },
        label: `${role.name} ${target.method} ${url} ${(b.body ?? '').slice(0, 200)}`,
      }
    })
  })

/**
 * Keeps every role usable: a fuzzed request may sign its session out, revoke its key or change its
 * teams. Probes each role with GET /api/v1/me and replaces the ones that no longer work.
 */
export const refreshRoles = async (t: TestApp, roles: Role[]): Promise<Role[]> => {
  const out: Role[] = []
  for (const role of roles) {
    if (role.name === 'anonymous') {
      out.push(role)
      continue
    }
    const permissions = await permissionsOf(t, role)
    if (permissions && permissions.length >= (role.permissions ?? 0)) out.push(role)
    else out.push(await makeRole(t, role.name as (typeof ROLE_NAMES)[number]))
  }
  return out
}

const permissionsOf = async (t: TestApp, role: Role) => {
  const me = await t.api.request('/api/v1/me', { headers: role.headers })
  return me.status === 200 ? ((await me.json()) as { permissions: string[] }).permissions : undefined
}

/** Row counts and last changes of every table a request may write (sessions and key last-use aside). */
export const checksum = async (t: TestApp) =>
  (
    await t.deps.db.execute<{ s: string }>(sql`SELECT concat_ws(',',
      (SELECT count(*) FROM users), (SELECT count(*) FROM teams), (SELECT count(*) FROM team_members),
      (SELECT count(*) FROM api_keys), (SELECT count(revoked_at) FROM api_keys), (SELECT count(*) FROM sources),
      (SELECT count(*) FROM alerts), (SELECT count(*) FROM incidents), (SELECT max(updated_at) FROM incidents),
      (SELECT count(*) FROM incident_history), (SELECT count(*) FROM incident_field_values), (SELECT count(*) FROM incident_users),
      (SELECT count(*) FROM incident_fields), (SELECT count(*) FROM investigations), (SELECT max(updated_at) FROM investigations),
      (SELECT count(*) FROM lists), (SELECT count(*) FROM list_members), (SELECT count(*) FROM attachments),
      (SELECT count(*) FROM audit_log)) AS s`)
  )[0]!.s

export type Outcome = { status: number; ms: number; hung: boolean; halfStored: boolean }

/**
 * Sends one case (no socket: `app.request`), with a per-request timeout. A refused write (4xx) must
 * leave the database as it was; `check` (default true) compares the checksum around writes.
 */
export const runCase = async (t: TestApp, c: FuzzCase, timeoutMs: number, check = true): Promise<Outcome> => {
  const app = c.target.app === 'api' ? t.api : t.console
  const isWrite = c.init.method !== 'GET' && c.init.method !== 'HEAD'
  const before = check && isWrite && !c.target.writesOnFailure ? await checksum(t) : undefined
  const started = performance.now()
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs)
  })
  const res = await Promise.race([
    (async () => {
      const r = await app.request(c.url, c.init)
      await r.arrayBuffer() // the whole answer, streamed bodies included
      return r
    })(),
    timeout,
  ])
  clearTimeout(timer)
  const ms = performance.now() - started
  if (res === 'timeout') return { status: 0, ms, hung: true, halfStored: false }
  const halfStored = before !== undefined && res.status >= 400 && res.status < 500 && (await checksum(t)) !== before
  return { status: res.status, ms, hung: false, halfStored }
}
