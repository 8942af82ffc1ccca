import { randomBytes } from 'node:crypto'
import type { Hono } from 'hono'
import type { AppEnv } from '../../core/src/api/env.ts'
import type { Db } from '../../core/src/db/client.ts'
import { createApiKey } from '../../core/src/domain/api-keys/create-api-key.ts'
import { createTeam } from '../../core/src/domain/teams/create-team.ts'
import { createUser } from '../../core/src/domain/users/create-user.ts'
import { loadUserActor } from '../../core/src/domain/users/load-user-actor.ts'
import { SYSTEM } from '../../core/src/policy/actor.ts'
import { PERMISSIONS, type Permission } from '../../core/src/policy/permissions.ts'

export const PASSWORD = 'correct horse battery staple'
const uniq = () => randomBytes(4).toString('hex')

/** A user in the named teams (which must exist), with the standard test password. */
export const makeUser = async (db: Db, teams: string[], username = `u${uniq()}`) => {
  const user = await createUser(db, SYSTEM, { username, password: PASSWORD, teams })
  return { user, actor: await loadUserActor(db, user) }
}

export const makeTeam = async (
  db: Db,
  options: { isPrivate?: boolean; permissions?: readonly Permission[]; name?: string } = {},
) =>
  createTeam(db, SYSTEM, {
    name: options.name ?? `team-${uniq()}`,
    isPrivate: options.isPrivate ?? false,
    permissions: [...(options.permissions ?? PERMISSIONS)],
  })

export const makeApiKey = async (db: Db, teams: string[]) =>
  (await createApiKey(db, SYSTEM, { name: `key-${uniq()}`, teams })).key

/** Signs in through the real form and returns the cookie and CSRF token to send with writes. */
export const signInAs = async (app: Hono<AppEnv>, username: string, password = PASSWORD) => {
  const page = await app.request('/login')
  const pre = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1]
  const preCookie = (page.headers.get('set-cookie') ?? '').split(';')[0]
  const res = await app.request('/login', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: preCookie ?? '' },
    body: new URLSearchParams({ username, password, _csrf: pre ?? '' }),
  })
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .find((c) => c?.startsWith('clawback_session='))
  if (!cookie) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`)
  const home = await app.request('/', { headers: { cookie } })
  const csrf = /name="csrf-token" content="([^"]+)"/.exec(await home.text())?.[1]
  return { cookie, csrf: csrf ?? '', status: res.status }
}
