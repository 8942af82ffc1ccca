import { Hono } from 'hono'
import { z } from 'zod'
import { addAttachment } from '../../domain/attachments/add-attachment.ts'
import {
  addInvestigationComment,
  linkIncident,
  unlinkIncident,
  updateInvestigation,
} from '../../domain/investigations/change-investigation.ts'
import { createInvestigation } from '../../domain/investigations/create-investigation.ts'
import { getInvestigation, listInvestigations } from '../../domain/investigations/get-investigation.ts'
import { AppError } from '../../errors.ts'
import type { AppEnv } from '../env.ts'
import { guard } from '../middleware/auth.ts'
import { visible } from '../middleware/visible.ts'
import { idParam } from '../params.ts'
import { input } from '../validate.ts'

const read = [
  guard({ auth: 'actor', permission: 'investigations.read', object: 'investigation' }),
  visible('investigation'),
] as const
const write = [
  guard({ auth: 'actor', permission: 'investigations.write', object: 'investigation' }),
  visible('investigation'),
] as const
const invId = (raw: string | undefined) => idParam(raw, 'investigation')

export const investigationsApi = new Hono<AppEnv>()

investigationsApi.get(
  '/api/v1/investigations',
  guard({ auth: 'actor', permission: 'investigations.read' }),
  async (c) => {
    const before = c.req.query('before_id')
    const limit = c.req.query('limit')
    return c.json(
      await listInvestigations(c.var.deps.db, c.var.actor!, {
        state: c.req.query('state'),
        beforeId: before && /^\d+$/.test(before) ? Number(before) : undefined,
        limit: limit && /^\d+$/.test(limit) ? Number(limit) : undefined,
      }),
    )
  },
)

const ZCreate = z.strictObject({
  name: z.string().min(1).max(300),
  description: z.string().max(100_000).optional(),
  teamId: z.number().int().positive().nullable().optional(),
  isPrivate: z.boolean().optional(),
})
investigationsApi.post(
  '/api/v1/investigations',
  guard({ auth: 'actor', permission: 'investigations.write' }),
  input('json', ZCreate),
  async (c) => c.json({ data: await createInvestigation(c.var.deps.db, c.var.actor!, c.req.valid('json')) }, 201),
)

investigationsApi.get('/api/v1/investigations/:id', ...read, async (c) =>
  c.json({ data: await getInvestigation(c.var.deps.db, c.var.actor!, invId(c.req.param('id'))) }),
)

const ZUpdate = z.strictObject({
  name: z.string().min(1).max(300).optional(),
  description: z.string().max(100_000).optional(),
  state: z.enum(['open', 'closed']).optional(),
})
investigationsApi.patch('/api/v1/investigations/:id', ...write, input('json', ZUpdate), async (c) =>
  c.json({
    data: await updateInvestigation(c.var.deps.db, c.var.actor!, invId(c.req.param('id')), c.req.valid('json')),
  }),
)

investigationsApi.post(
  '/api/v1/investigations/:id/incidents',
  ...write,
  input('json', z.strictObject({ incidentId: z.number().int().positive() })),
  async (c) =>
    c.json({
      data: await linkIncident(c.var.deps.db, c.var.actor!, invId(c.req.param('id')), c.req.valid('json').incidentId),
    }),
)
investigationsApi.delete('/api/v1/investigations/:id/incidents/:incidentId', ...write, async (c) =>
  c.json({
    data: await unlinkIncident(
      c.var.deps.db,
      c.var.actor!,
      invId(c.req.param('id')),
      idParam(c.req.param('incidentId')),
    ),
  }),
)

const ZNote = z.strictObject({ summary: z.string().min(1).max(100_000), detail: z.string().max(100_000).optional() })
investigationsApi.post('/api/v1/investigations/:id/comments', ...write, input('json', ZNote), async (c) =>
  c.json(
    { data: await addInvestigationComment(c.var.deps.db, c.var.actor!, invId(c.req.param('id')), c.req.valid('json')) },
    201,
  ),
)

investigationsApi.post('/api/v1/investigations/:id/attachments', ...write, async (c) => {
  const { config, db } = c.var.deps
  if (Number(c.req.header('content-length') ?? 0) > config.maxAttachmentBytes + 64 * 1024)
    throw new AppError('PAYLOAD_TOO_LARGE', `file: larger than ${config.maxAttachmentBytes} bytes`)
  const f = (await c.req.parseBody()).file
  if (!(f instanceof File)) throw new AppError('INVALID_REQUEST', 'file: required (multipart form field)')
  const row = await addAttachment(
    db,
    c.var.actor!,
    { investigationId: invId(c.req.param('id')) },
    { filename: f.name, contentType: f.type, bytes: new Uint8Array(await f.arrayBuffer()) },
    { dataDir: config.dataDir, maxBytes: config.maxAttachmentBytes },
  )
  return c.json({ data: row }, 201)
})
