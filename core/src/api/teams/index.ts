import { Hono } from 'hono'
import { z } from 'zod'
import { createTeam } from '../../domain/teams/create-team.ts'
import { listTeams } from '../../domain/teams/list-teams.ts'
import { updateTeam } from '../../domain/teams/update-team.ts'
import { output } from '../describe.ts'
import type { AppEnv } from '../env.ts'
import { guard } from '../middleware/auth.ts'
import { idParam } from '../params.ts'
import { data, ZTeam } from '../schemas.ts'
import { input, text } from '../validate.ts'

const ZCreateTeam = z.strictObject({
  name: text(100).min(1),
  description: text(1000).optional(),
  isPrivate: z.boolean().optional(),
  permissions: z.array(text(100)).max(50).default([]),
})

export const teams = new Hono<AppEnv>()

teams.get('/api/v1/teams', guard({ auth: 'actor' }), output(200, data(z.array(ZTeam))), async (c) =>
  c.json({ data: await listTeams(c.var.deps.db, c.var.actor!) }),
)

teams.post(
  '/api/v1/teams',
  guard({ auth: 'actor', permission: 'teams.manage' }),
  input('json', ZCreateTeam),
  output(201, data(ZTeam)),
  async (c) => c.json({ data: await createTeam(c.var.deps.db, c.var.actor!, c.req.valid('json')) }, 201),
)

/**
 * Replaces a team's description, private flag and permissions (its name is fixed: memberships and
 * API keys refer to it). The built-in Admins team keeps users.manage and teams.manage.
 */
teams.put(
  '/api/v1/teams/:id',
  guard({ auth: 'actor', permission: 'teams.manage' }),
  input(
    'json',
    z.strictObject({
      description: text(1000),
      isPrivate: z.boolean(),
      permissions: z.array(text(100)).max(50),
    }),
  ),
  output(200, data(ZTeam)),
  async (c) =>
    c.json({
      data: await updateTeam(c.var.deps.db, c.var.actor!, {
        teamId: idParam(c.req.param('id'), 'team'),
        ...c.req.valid('json'),
      }),
    }),
)
