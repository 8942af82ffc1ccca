import { Hono } from 'hono'
import { z } from 'zod'
import { createTeam } from '../../domain/teams/create-team.ts'
import { listTeams } from '../../domain/teams/list-teams.ts'
import { output } from '../describe.ts'
import type { AppEnv } from '../env.ts'
import { guard } from '../middleware/auth.ts'
import { idParam } from '../params.ts'
import { data, ZTeam } from '../schemas.ts'
import { input } from '../validate.ts'

const ZCreateTeam = z.strictObject({
  name: z.string().min(1).max(100),
  description: z.string().max(1000).optional(),
  isPrivate: z.boolean().optional(),
  permissions: z.array(z.string()).max(50).default([]),
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
