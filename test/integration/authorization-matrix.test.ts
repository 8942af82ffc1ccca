import type { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AppEnv } from '../../core/src/api/env.ts'
import type { Access } from '../../core/src/api/middleware/auth.ts'
import { incidents, investigations } from '../../core/src/db/schema/index.ts'
import { appendAudit } from '../../core/src/domain/audit/append-audit.ts'
import { SYSTEM } from '../../core/src/policy/actor.ts'
import { BUILTIN_TEAMS } from '../../core/src/policy/permissions.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { makeApiKey, makeTeam } from '../harness/factories.ts'

/**
 * The authorization matrix: every route registered in the api and console apps (enumerated, so a
 * route added later joins automatically) must declare its access with `guard()`, and each kind of
 * caller must get exactly what that declaration and the private-team policy allow:
 *   anonymous → 401 (pages: redirect to sign-in); no permission → 403; allowed → neither;
 *   an admin outside a private team → 404 for that team's incident or investigation, and no
 *   audit records about them in the audit views;
 *   a member of the private team → allowed.
 */
type RouteCase = { app: 'api' | 'console'; method: string; path: string; access: Access }

const ADMIN_PERMISSIONS = new Set<string>(BUILTIN_TEAMS.find((t) => t.name === 'Admins')!.permissions)

const collectRoutes = (name: 'api' | 'console', app: Hono<AppEnv>): { cases: RouteCase[]; unguarded: string[] } => {
  const byKey = new Map<string, { method: string; path: string; access?: Access }>()
  for (const r of app.routes) {
    if (r.method === 'ALL') continue
    const key = `${r.method} ${r.path}`
    const entry = byKey.get(key) ?? { method: r.method, path: r.path }
    const access = (r.handler as { access?: Access }).access
    if (access) entry.access = access
    byKey.set(key, entry)
  }
  const cases: RouteCase[] = []
  const unguarded: string[] = []
  for (const [key, e] of byKey) {
    if (e.access) cases.push({ app: name, method: e.method, path: e.path, access: e.access })
    else unguarded.push(`${name}: ${key}`)
  }
  return { cases, unguarded }
}

/** Fills path parameters: the first one with `objectId` when given, the rest with an id that does not exist. */
const fill = (path: string, objectId?: number) => {
  let first = true
  return path
    .replace(/:([A-Za-z_]+)(\{[^}]*\})?\??/g, () => {
      const v = first && objectId !== undefined ? String(objectId) : '999999'
      first = false
      return v
    })
    .replace(/\*/g, 'x')
}

let t: TestApp
const keys: Record<'nobody' | 'admin' | 'member', string> = { nobody: '', admin: '', member: '' }
let privateIncident = 0
let publicIncident = 0
let privateInvestigation = 0
let publicInvestigation = 0
const AUDIT_MARKER = { incident: 'audit-marker-incident', investigation: 'audit-marker-investigation' }
let routes: RouteCase[] = []
let unguarded: string[] = []

beforeAll(async () => {
  t = await startTestApp()
  const { db } = t.deps
  const none = await makeTeam(db, { permissions: [] })
  const secret = await makeTeam(db, { isPrivate: true })
  keys.nobody = await makeApiKey(db, [none.name])
  keys.admin = await makeApiKey(db, ['Admins'])
  keys.member = await makeApiKey(db, [secret.name])
  const inc = await db
    .insert(incidents)
    .values([{ summary: 'private', isPrivate: true, teamId: secret.id }, { summary: 'public' }])
    .returning({ id: incidents.id })
  privateIncident = inc[0]!.id
  publicIncident = inc[1]!.id
  const inv = await db
    .insert(investigations)
    .values([{ name: 'private', isPrivate: true, teamId: secret.id }, { name: 'public' }])
    .returning({ id: investigations.id })
  privateInvestigation = inv[0]!.id
  publicInvestigation = inv[1]!.id
  // records about the private objects, for the audit views
  await db.transaction(async (tx) => {
    await appendAudit(tx, SYSTEM, {
      action: 'incident.close',
      objectType: 'incident',
      objectId: privateIncident,
      after: { summary: AUDIT_MARKER.incident },
    })
    await appendAudit(tx, SYSTEM, {
      action: 'investigation.update',
      objectType: 'investigation',
      objectId: privateInvestigation,
      after: { name: AUDIT_MARKER.investigation },
    })
  })
  const api = collectRoutes('api', t.api)
  const con = collectRoutes('console', t.console)
  // Deletes last: a DELETE admitted for the shared public/private objects removes them for the routes after it.
  routes = [...api.cases, ...con.cases].sort((x, y) => Number(x.method === 'DELETE') - Number(y.method === 'DELETE'))
  unguarded = [...api.unguarded, ...con.unguarded]
})
afterAll(() => t.close())

const call = async (rc: RouteCase, who: keyof typeof keys | 'anonymous', objectId?: number) => {
  const app = rc.app === 'api' ? t.api : t.console
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' }
  if (who !== 'anonymous') headers.authorization = keys[who]
  const hasBody = !['GET', 'HEAD', 'OPTIONS'].includes(rc.method)
  return app.request(fill(rc.path, objectId), { method: rc.method, headers, body: hasBody ? '{}' : undefined })
}

const privateOf = (rc: RouteCase) =>
  rc.access.auth === 'actor' && rc.access.object === 'incident'
    ? privateIncident
    : rc.access.auth === 'actor' && rc.access.object === 'investigation'
      ? privateInvestigation
      : undefined
const publicOf = (rc: RouteCase) =>
  rc.access.auth === 'actor' && rc.access.object === 'incident'
    ? publicIncident
    : rc.access.auth === 'actor' && rc.access.object === 'investigation'
      ? publicInvestigation
      : undefined

describe('authorization matrix', () => {
  it('notices a route registered without a guard', async () => {
    const { Hono } = await import('hono')
    const probe = new Hono<AppEnv>()
    probe.get('/sneaky', (c) => c.text('no guard'))
    expect(collectRoutes('api', probe).unguarded).toEqual(['api: GET /sneaky'])
  })

  it('covers every route, and every route declares its access', () => {
    expect(unguarded).toEqual([])
    expect(routes.length).toBeGreaterThan(10)
  })

  it('treats every route addressing an incident or investigation by id as a private-object case', () => {
    const addressing = routes.filter((r) => /^\/(api\/(v1\/)?)?(incidents|investigations)\/:id/.test(r.path))
    expect(addressing.length).toBeGreaterThan(10)
    for (const rc of addressing)
      expect(privateOf(rc), `${rc.app} ${rc.method} ${rc.path} must declare object in guard()`).toBeDefined()
  })

  it('lets anyone reach public routes', async () => {
    for (const rc of routes.filter((r) => r.access.auth === 'public')) {
      const res = await call(rc, 'anonymous')
      expect(res.status, `${rc.method} ${rc.path}`).not.toBe(401)
    }
  })

  it('refuses token routes with a wrong token', async () => {
    for (const rc of routes.filter((r) => r.access.auth === 'token')) {
      const res = await call(rc, 'anonymous')
      expect(res.status, `${rc.method} ${rc.path}`).toBeGreaterThanOrEqual(400)
      expect(res.status, `${rc.method} ${rc.path}`).toBeLessThan(500)
    }
  })

  it('refuses anonymous callers on every actor route', async () => {
    for (const rc of routes.filter((r) => r.access.auth === 'actor')) {
      const res = await call(rc, 'anonymous', privateOf(rc))
      const label = `${rc.app} ${rc.method} ${rc.path}`
      if (rc.access.auth === 'actor' && rc.access.ui && rc.method === 'GET') {
        expect(res.status, label).toBe(303)
        expect(res.headers.get('location'), label).toMatch(/^\/login/)
      } else {
        expect(res.status, label).toBe(401)
      }
    }
  })

  it('refuses callers without the permission', async () => {
    for (const rc of routes.filter((r) => r.access.auth === 'actor' && r.access.permission)) {
      const res = await call(rc, 'nobody', publicOf(rc))
      expect(res.status, `${rc.app} ${rc.method} ${rc.path}`).toBe(403)
    }
  })

  it('admits callers with the permission', async () => {
    for (const rc of routes.filter((r) => r.access.auth === 'actor')) {
      if (rc.access.auth !== 'actor') continue
      const who = rc.access.permission && !ADMIN_PERMISSIONS.has(rc.access.permission) ? null : 'admin'
      if (!who) continue
      const res = await call(rc, who, publicOf(rc))
      const label = `${rc.app} ${rc.method} ${rc.path}`
      if (rc.access.session) {
        // signed-in users only (tested with sessions in auth.test.ts); an API key gets a clear 403
        expect(res.status, label).toBe(403)
        expect(await res.text(), label).toMatch(/signed-in user/)
        continue
      }
      expect([401, 403], label).not.toContain(res.status)
      // No 500 anywhere; on API routes that also means every JSON answer matches the shape the
      // OpenAPI document declares (test apps check it)
      expect(res.status, `${label}: ${res.status >= 500 ? await res.text() : ''}`).toBeLessThan(500)
      if (rc.method === 'GET' && publicOf(rc) !== undefined && (rc.path.match(/:/g) ?? []).length === 1)
        expect(res.status, label).toBe(200)
    }
  })

  it('hides private incidents and investigations from admins outside the team, on every route that addresses one', async () => {
    const objectRoutes = routes.filter((r) => privateOf(r) !== undefined)
    for (const rc of objectRoutes) {
      const res = await call(rc, 'admin', privateOf(rc))
      expect(res.status, `${rc.app} ${rc.method} ${rc.path}`).toBe(404)
      expect(await res.text(), `${rc.method} ${rc.path}`).not.toContain('private')
    }
  })

  it('hides audit records about private incidents and investigations from admins outside the team, on every audit view', async () => {
    const views = routes.filter((r) => r.method === 'GET' && /\/audit$/.test(r.path))
    expect(views.map((r) => r.path).sort()).toEqual(['/admin/audit', '/api/v1/audit'])
    for (const rc of views) {
      const label = `${rc.app} ${rc.method} ${rc.path}`
      const admin = await call(rc, 'admin')
      expect(admin.status, label).toBe(200)
      const seen = await admin.text()
      expect(seen, label).not.toContain(AUDIT_MARKER.incident)
      expect(seen, label).not.toContain(AUDIT_MARKER.investigation)
      const member = await call(rc, 'member')
      expect(member.status, label).toBe(200)
      const theirs = await member.text()
      expect(theirs, label).toContain(AUDIT_MARKER.incident)
      expect(theirs, label).toContain(AUDIT_MARKER.investigation)
    }
  })

  it('shows private incidents and investigations to members of the team', async () => {
    for (const rc of routes.filter((r) => privateOf(r) !== undefined)) {
      const res = await call(rc, 'member', privateOf(rc))
      const label = `${rc.app} ${rc.method} ${rc.path}`
      expect([401, 403], label).not.toContain(res.status)
      if (rc.method === 'GET' && (rc.path.match(/:/g) ?? []).length === 1) expect(res.status, label).toBe(200)
    }
  })
})
