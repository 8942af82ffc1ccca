import { type Context, Hono } from 'hono'
import { z } from 'zod'
import { setMembership } from '../../domain/teams/set-membership.ts'
import { createUser } from '../../domain/users/create-user.ts'
import { listUsers } from '../../domain/users/list-users.ts'
import { resetPassword } from '../../domain/users/reset-password.ts'
import { setUserDisabled } from '../../domain/users/set-user-disabled.ts'
import { setUserTeams } from '../../domain/users/set-user-teams.ts'
import { output } from '../describe.ts'
import type { AppEnv } from '../env.ts'
import { guard } from '../middleware/auth.ts'
import { idParam } from '../params.ts'
import { data, ZUser } from '../schemas.ts'
import { id, input, text } from '../validate.ts'

const ZCreateUser = z.strictObject({
  username: text(128).min(1),
  password: text(1024).min(1).optional(),
  email: z.email().optional(),
  displayName: text(200).optional(),
  teams: z.array(text(100).min(1)).max(50).optional(),
  mustChangePassword: z.boolean().optional(),
})
const ZPassword = z.strictObject({ password: text(1024).min(1), mustChangePassword: z.boolean().optional() })
const ZUsername = z.object({ username: text(128).min(1) })
const ZMembership = data(z.strictObject({ team: z.string(), username: z.string(), member: z.boolean() }))
const userId = (raw: string | undefined) => idParam(raw, 'user')

export const users = new Hono<AppEnv>()

users.get(
  '/api/v1/me',
  guard({ auth: 'actor' }),
  output(
    200,
    z.strictObject({
      kind: z.string(),
      userId: z.number().int().nullable(),
      label: z.string(),
      teamIds: z.array(z.number().int()),
      permissions: z.array(z.string()),
    }),
  ),
  (c) => {
    const a = c.var.actor!
    return c.json({
      kind: a.kind,
      userId: a.userId,
      label: a.label,
      teamIds: a.teamIds,
      permissions: [...a.permissions].sort(),
    })
  },
)

users.get(
  '/api/v1/users',
  guard({ auth: 'actor', permission: 'users.manage' }),
  output(200, data(z.array(ZUser))),
  async (c) => c.json({ data: await listUsers(c.var.deps.db, c.var.actor!) }),
)

users.post(
  '/api/v1/users',
  guard({ auth: 'actor', permission: 'users.manage' }),
  input('json', ZCreateUser),
  output(201, data(z.strictObject({ id: z.number().int(), username: z.string(), email: z.string().nullable() }))),
  async (c) => {
    const u = await createUser(c.var.deps.db, c.var.actor!, c.req.valid('json'))
    return c.json({ data: { id: u.id, username: u.username, email: u.email } }, 201)
  },
)

users.put(
  '/api/v1/users/:username/password',
  guard({ auth: 'actor', permission: 'users.manage' }),
  input('param', ZUsername),
  input('json', ZPassword),
  output(200, data(z.strictObject({ ok: z.literal(true) }))),
  async (c) => {
    await resetPassword(c.var.deps.db, c.var.actor!, {
      username: c.req.valid('param').username,
      ...c.req.valid('json'),
    })
    return c.json({ data: { ok: true as const } })
  },
)

/** Disables a user (sign-in refused, sessions ended at once) or enables them again; audited when it changes. */
users.patch(
  '/api/v1/users/:id',
  guard({ auth: 'actor', permission: 'users.manage' }),
  input('json', z.strictObject({ isDisabled: z.boolean() })),
  output(200, data(z.strictObject({ id: z.number().int(), username: z.string(), isDisabled: z.boolean() }))),
  async (c) => {
    const u = await setUserDisabled(c.var.deps.db, c.var.actor!, {
      userId: userId(c.req.param('id')),
      disabled: c.req.valid('json').isDisabled,
    })
    return c.json({ data: { id: u.id, username: u.username, isDisabled: u.isDisabled } })
  },
)

/** Makes the user's team memberships exactly `teamIds` (each addition and removal audited). */
users.put(
  '/api/v1/users/:id/teams',
  guard({ auth: 'actor', permission: 'teams.manage' }),
  input('json', z.strictObject({ teamIds: z.array(id()).max(100) })),
  output(200, data(z.strictObject({ added: z.array(z.string()), removed: z.array(z.string()) }))),
  async (c) =>
    c.json({
      data: await setUserTeams(c.var.deps.db, c.var.actor!, {
        userId: userId(c.req.param('id')),
        teamIds: c.req.valid('json').teamIds,
      }),
    }),
)

/** PUT adds `username` to `team`, DELETE takes them out; both answer the resulting membership. */
const membership = (member: boolean) => async (c: Context<AppEnv>) => {
  const r = await setMembership(c.var.deps.db, c.var.actor!, {
    team: c.req.param('team') ?? '',
    username: c.req.param('username') ?? '',
    member,
  })
  return c.json({ data: { team: r.team.name, username: r.user.username, member } })
}
users.put(
  '/api/v1/teams/:team/members/:username',
  guard({ auth: 'actor', permission: 'teams.manage' }),
  output(200, ZMembership),
  membership(true),
)
users.delete(
  '/api/v1/teams/:team/members/:username',
  guard({ auth: 'actor', permission: 'teams.manage' }),
  output(200, ZMembership),
  membership(false),
)
