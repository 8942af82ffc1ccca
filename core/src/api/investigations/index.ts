import { Hono } from 'hono'
import { z } from 'zod'
import { addAttachment } from '../../domain/attachments/add-attachment.ts'
import { addInvestigationComment } from '../../domain/investigations/add-investigation-comment.ts'
import { createInvestigation } from '../../domain/investigations/create-investigation.ts'
import { deleteInvestigation } from '../../domain/investigations/delete-investigation.ts'
import { getInvestigation } from '../../domain/investigations/get-investigation.ts'
import { linkIncident } from '../../domain/investigations/link-incident.ts'
import { listInvestigations } from '../../domain/investigations/list-investigations.ts'
import { unlinkIncident } from '../../domain/investigations/unlink-incident.ts'
import { updateInvestigation } from '../../domain/investigations/update-investigation.ts'
import { AppError } from '../../errors.ts'
import { FILE_UPLOAD, output } from '../describe.ts'
import type { AppEnv } from '../env.ts'
import { guard } from '../middleware/auth.ts'
import { visible } from '../middleware/visible.ts'
import { idParam } from '../params.ts'
import {
  data,
  ZAttachment,
  ZDeleted,
  ZInvestigation,
  ZInvestigationDetail,
  ZInvestigationHistory,
  ZInvestigationPage,
} from '../schemas.ts'
import { countQuery, id, idQuery, input, text } from '../validate.ts'

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

const ZListQuery = z.object({
  state: text(20).optional(),
  before_id: idQuery().optional().meta({ description: 'nextBeforeId of the previous page' }),
  limit: countQuery(500).optional(),
})
investigationsApi.get(
  '/api/v1/investigations',
  guard({ auth: 'actor', permission: 'investigations.read' }),
  input('query', ZListQuery),
  output(200, ZInvestigationPage),
  async (c) => {
    const q = c.req.valid('query')
    return c.json(
      await listInvestigations(c.var.deps.db, c.var.actor!, { state: q.state, beforeId: q.before_id, limit: q.limit }),
    )
  },
)

const ZCreate = z.strictObject({
  name: text(300).min(1),
  description: text(100_000).optional(),
  teamId: id().nullable().optional(),
  isPrivate: z.boolean().optional(),
})
investigationsApi.post(
  '/api/v1/investigations',
  guard({ auth: 'actor', permission: 'investigations.write' }),
  input('json', ZCreate),
  output(201, data(ZInvestigation)),
  async (c) => c.json({ data: await createInvestigation(c.var.deps.db, c.var.actor!, c.req.valid('json')) }, 201),
)

investigationsApi.get('/api/v1/investigations/:id', ...read, output(200, data(ZInvestigationDetail)), async (c) =>
  c.json({ data: await getInvestigation(c.var.deps.db, c.var.actor!, invId(c.req.param('id'))) }),
)

/**
 * Deletes an investigation opened by mistake; one holding comments or attachments answers 409
 * (close it instead), because those are evidence (see domain/investigations/delete-investigation.ts).
 */
investigationsApi.delete('/api/v1/investigations/:id', ...write, output(200, data(ZDeleted)), async (c) => {
  const inv = await deleteInvestigation(c.var.deps.db, c.var.actor!, invId(c.req.param('id')))
  return c.json({ data: { id: inv.id, deleted: true as const } })
})

const ZUpdate = z.strictObject({
  name: text(300).min(1).optional(),
  description: text(100_000).optional(),
  state: z.enum(['open', 'closed']).optional(),
})
investigationsApi.patch(
  '/api/v1/investigations/:id',
  ...write,
  input('json', ZUpdate),
  output(200, data(ZInvestigation)),
  async (c) =>
    c.json({
      data: await updateInvestigation(c.var.deps.db, c.var.actor!, invId(c.req.param('id')), c.req.valid('json')),
    }),
)

investigationsApi.post(
  '/api/v1/investigations/:id/incidents',
  ...write,
  input('json', z.strictObject({ incidentId: id() })),
  output(200, data(z.strictObject({ linked: z.boolean() }))),
  async (c) =>
    c.json({
      data: await linkIncident(c.var.deps.db, c.var.actor!, invId(c.req.param('id')), c.req.valid('json').incidentId),
    }),
)
investigationsApi.delete(
  '/api/v1/investigations/:id/incidents/:incidentId',
  ...write,
  output(200, data(z.strictObject({ unlinked: z.literal(true) }))),
  async (c) =>
    c.json({
      data: await unlinkIncident(
        c.var.deps.db,
        c.var.actor!,
        invId(c.req.param('id')),
        idParam(c.req.param('incidentId')),
      ),
    }),
)

const ZNote = z.strictObject({ summary: text(100_000).min(1), detail: text(100_000).optional() })
investigationsApi.post(
  '/api/v1/investigations/:id/comments',
  ...write,
  input('json', ZNote),
  output(201, data(ZInvestigationHistory)),
  async (c) =>
    c.json(
      {
        data: await addInvestigationComment(c.var.deps.db, c.var.actor!, invId(c.req.param('id')), c.req.valid('json')),
      },
      201,
    ),
)

investigationsApi.post(
  '/api/v1/investigations/:id/attachments',
  ...write,
  FILE_UPLOAD,
  output(201, data(ZAttachment)),
  async (c) => {
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
  },
)
