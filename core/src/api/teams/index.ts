import { Hono } from 'hono'
import { z } from 'zod'
import { createTeam } from '../../domain/teams/create-team.ts'
import { listTeams } from '../../domain/teams/list-teams.ts'
import type { AppEnv } from '../env.ts'
import { guard } from '../middleware/auth.ts'
import { input } from '../validate.ts'

const ZCreateTeam = z.strictObject({
  name: z.string().min(1).max(100),
  description: z.string().max(1000).optional(),
  isPrivate: z.boolean().optional(),
  permissions: z.array(z.string()).max(50).default([]),
})

export const teams = new Hono<AppEnv>()

teams.get('/api/v1/teams', guard({ auth: 'actor' }), async (c) =>
  c.json({ data: await listTeams(c.var.deps.db, c.var.actor!) }),
)

teams.post(
  '/api/v1/teams',
  guard({ auth: 'actor', permission: 'teams.manage' }),
  input('json', ZCreateTeam),
  async (c) => c.json({ data: await createTeam(c.var.deps.db, c.var.actor!, c.req.valid('json')) }, 201),
)
