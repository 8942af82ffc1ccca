import { Hono } from 'hono'
import { z } from 'zod'
import { listAudit } from '../../domain/audit/list-audit.ts'
import { verifyAudit } from '../../domain/audit/verify-audit.ts'
import { output } from '../describe.ts'
import type { AppEnv } from '../env.ts'
import { guard } from '../middleware/auth.ts'
import { data, ZAuditRecord } from '../schemas.ts'
import { countQuery, date, idQuery, input, text } from '../validate.ts'

const ZAuditQuery = z.object({
  action: text(100).optional(),
  actor: text(200).optional(),
  objectType: text(50).optional(),
  objectId: text(50).optional(),
  since: date().optional(),
  until: date().optional(),
  before: idQuery().optional(),
  limit: countQuery(1000).optional(),
})

export const audit = new Hono<AppEnv>()

audit.get(
  '/api/v1/audit',
  guard({ auth: 'actor', permission: 'audit.read' }),
  input('query', ZAuditQuery),
  output(200, data(z.array(ZAuditRecord))),
  async (c) => c.json({ data: await listAudit(c.var.deps.db, c.var.actor!, c.req.valid('query')) }),
)

audit.get(
  '/api/v1/audit/verify',
  guard({ auth: 'actor', permission: 'audit.read' }),
  output(
    200,
    data(
      z.strictObject({
        ok: z.boolean(),
        records: z.number().int(),
        brokenAt: z.number().int().optional(),
        reason: z.string().optional(),
      }),
    ),
  ),
  async (c) => c.json({ data: await verifyAudit(c.var.deps.db) }),
)
