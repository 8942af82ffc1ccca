import { Hono } from 'hono'
import { z } from 'zod'
import { listQuarantineResults } from '../../domain/quarantine/list-quarantine-results.ts'
import { output } from '../describe.ts'
import type { AppEnv } from '../env.ts'
import { guard } from '../middleware/auth.ts'
import { visible } from '../middleware/visible.ts'
import { idParam } from '../params.ts'
import { data, ZTime } from '../schemas.ts'

const ZQuarantineResult = z.strictObject({
  id: z.number().int(),
  mailbox: z.string(),
  messageId: z.string(),
  recipientType: z.string(),
  via: z.string().nullable(),
  status: z.string(),
  provider: z.string().nullable(),
  isRead: z.boolean().nullable(),
  originalFolder: z.string().nullable(),
  quarantineFolder: z.string().nullable(),
  copies: z.number().int(),
  wasUndone: z.boolean(),
  attempts: z.number().int(),
  details: z.string(),
  error: z.string().nullable(),
  startedAt: ZTime.nullable(),
  finishedAt: ZTime.nullable(),
  undoneAt: ZTime.nullable(),
})

export const quarantineApi = new Hono<AppEnv>()

quarantineApi.get(
  '/api/v1/incidents/:id/quarantine-results',
  guard({ auth: 'actor', permission: 'incidents.read', object: 'incident' }),
  visible('incident'),
  output(200, data(z.array(ZQuarantineResult))),
  async (c) =>
    c.json({
      data: await listQuarantineResults(c.var.deps.db, c.var.actor!, idParam(c.req.param('id'), 'incident')),
    }),
)
