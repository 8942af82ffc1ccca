import { getCookie } from 'hono/cookie'
import { createMiddleware } from 'hono/factory'
import { matchedRoutes } from 'hono/route'
import { safeEqual } from '../../auth/tokens.ts'
import { resolveApiKey } from '../../domain/api-keys/resolve-api-key.ts'
import { resolveSession } from '../../domain/sessions/resolve-session.ts'
import { AppError } from '../../errors.ts'
import { withRequest } from '../../policy/actor.ts'
import type { Permission } from '../../policy/permissions.ts'
import type { AppEnv } from '../env.ts'
import { clientIp } from './context.ts'
import { assertStorableParams } from './storable-query.ts'

export const sessionCookieName = (tls: boolean) => (tls ? '__Host-clawback_session' : 'clawback_session')
export const CSRF_HEADER = 'x-csrf-token'
export const CSRF_FIELD = '_csrf'
/** Where a session that must change its password is sent (console/ mounts the page). */
export const PASSWORD_PAGE = '/account/password'

const apiKeyFrom = (header: string | undefined) => {
  if (!header) return undefined
  const m = /^(?:bearer|token)\s+(.+)$/i.exec(header.trim())
  return ((m ? m[1] : header) ?? '').trim() || undefined
}

/**
 * Finds who is calling: an API key in `Authorization` (raw, as compatible clients send it, or
 * `Bearer`), else a session cookie. Never rejects by itself; `guard` decides. A wrong key is
 * remembered so that guarded routes answer 401 rather than silently falling back to the cookie.
 */
export const authenticate = createMiddleware<AppEnv>(async (c, next) => {
  // Token routes (JSON intake, feeds) are authorised by their URL alone: clients may still send an
  // Authorization header, which must cost no key lookup on the intake path.
  if (matchedRoutes(c).some((r) => (r.handler as Partial<Guard>).access?.auth === 'token')) return next()
  const { db, config } = c.var.deps
  const ip = clientIp(c)
  const key = apiKeyFrom(c.req.header('authorization'))
  if (key) {
    const actor = await resolveApiKey(db, key)
    if (actor) c.set('actor', withRequest(actor, ip, c.var.requestId))
  } else {
    const token = getCookie(c, sessionCookieName(config.tls))
    if (token) {
      const s = await resolveSession(db, token, config.sessionHours)
      if (s) {
        c.set('actor', withRequest(s.actor, ip, c.var.requestId))
        c.set('session', {
          idHash: s.idHash,
          csrfToken: s.csrfToken,
          mustChangePassword: s.mustChangePassword,
          username: s.username,
        })
      }
    }
  }
  await next()
})

/**
 * How a route is reached. Every route in the app carries one (the authorization matrix test
 * enumerates the app's routes and fails on any without it):
 *  - public: anyone (health, sign-in page, static assets)
 *  - token: authorised by an unguessable token in the URL (JSON alert intake, list feeds)
 *  - actor: a signed-in user or API key, optionally with a permission; `object` names the private
 *    object type the route's `:id` addresses, so the matrix checks non-members get 404.
 */
export type Access =
  | { auth: 'public' }
  | { auth: 'token' }
  | {
      auth: 'actor'
      permission?: Permission
      object?: 'incident' | 'investigation'
      ui?: boolean
      /** a signed-in user only (the user's own password): an API key is refused with 403 */
      session?: boolean
      /** reachable by a session that must still change its password (sign-out, the change itself) */
      beforePasswordChange?: boolean
    }

export type Guard = ReturnType<typeof createMiddleware<AppEnv>> & { access: Access }

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/**
 * The route's access rule, enforced: 401 without an actor, the password page (403
 * PASSWORD_CHANGE_REQUIRED off the UI) for a session that must change its password, 403 without
 * the permission, CSRF on cookie writes.
 */
export const guard = (access: Access): Guard => {
  const mw = createMiddleware<AppEnv>(async (c, next) => {
    assertStorableParams(c)
    if (access.auth === 'actor') {
      const actor = c.var.actor
      if (!actor && access.ui && c.req.method === 'GET')
        return c.redirect(`/login?next=${encodeURIComponent(c.req.path)}`, 303)
      if (!actor)
        throw new AppError('UNAUTHENTICATED', 'authentication required: send an API key in Authorization or sign in')
      const session = c.var.session
      // Until an initial or reset password is changed, the session reaches nothing else: pages
      // redirect to the password page, everything else answers 403 with a stable code.
      if (session?.mustChangePassword && !access.beforePasswordChange) {
        if (access.ui) return c.redirect(PASSWORD_PAGE, 303)
        throw new AppError(
          'PASSWORD_CHANGE_REQUIRED',
          `this session must change its password first: sign in to the web UI and go to ${PASSWORD_PAGE}`,
        )
      }
      if (session && UNSAFE.has(c.req.method)) {
        let sent = c.req.header(CSRF_HEADER)
        if (!sent && /form/.test(c.req.header('content-type') ?? '')) {
          const body = await c.req.parseBody()
          sent = typeof body[CSRF_FIELD] === 'string' ? (body[CSRF_FIELD] as string) : undefined
        }
        if (!sent || !safeEqual(sent, session.csrfToken))
          throw new AppError('CSRF', 'missing or invalid CSRF token; reload the page and try again')
      }
      if (access.session && !session)
        throw new AppError('FORBIDDEN', 'only a signed-in user can do this (an API key has no password): sign in')
      if (access.permission && !actor.permissions.has(access.permission))
        throw new AppError('FORBIDDEN', `missing permission ${access.permission}`)
    }
    await next()
  }) as Guard
  mw.access = access
  return mw
}
