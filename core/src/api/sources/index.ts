import { Hono } from 'hono'
import { z } from 'zod'
import { uploadCsv } from '../../domain/intake/upload-csv.ts'
import { createSource, intakeUrl } from '../../domain/sources/create-source.ts'
import { deleteSource } from '../../domain/sources/delete-source.ts'
import { getSource } from '../../domain/sources/get-source.ts'
import { listSources } from '../../domain/sources/list-sources.ts'
import { updateSource } from '../../domain/sources/update-source.ts'
import { AppError } from '../../errors.ts'
import { accepts, output } from '../describe.ts'
import type { AppEnv } from '../env.ts'
import { guard } from '../middleware/auth.ts'
import { idParam } from '../params.ts'
import { data, ZDeleted, ZSource } from '../schemas.ts'
import { input, text } from '../validate.ts'

const ZRules = z.strictObject({
  byThreatHash: z.boolean().optional(),
  byAttackerTarget: z.boolean().optional(),
  windowHours: z
    .number()
    .positive()
    .max(24 * 365)
    .optional(),
})
const ZCreate = z.strictObject({
  name: text(200).min(1),
  type: z.enum(['json', 'csv']),
  settings: z.record(z.string(), z.unknown()).optional(),
  linkingRules: ZRules.optional(),
  isEnabled: z.boolean().optional(),
})
const ZUpdate = z.strictObject({
  name: text(200).min(1).optional(),
  isEnabled: z.boolean().optional(),
  settings: z.record(z.string(), z.unknown()).optional(),
  linkingRules: ZRules.optional(),
  rotateToken: z.boolean().optional(),
})

export const sourcesApi = new Hono<AppEnv>()
const base = (c: { var: AppEnv['Variables']; req: { url: string } }) =>
  c.var.deps.config.publicUrl || new URL(c.req.url).origin

sourcesApi.get(
  '/api/v1/sources',
  guard({ auth: 'actor', permission: 'sources.read' }),
  output(200, data(z.array(ZSource))),
  async (c) => c.json({ data: await listSources(c.var.deps.db, c.var.actor!) }),
)

/** Creates a source; a JSON source's POST URL (with its token) is in the answer. */
sourcesApi.post(
  '/api/v1/sources',
  guard({ auth: 'actor', permission: 'sources.write' }),
  input('json', ZCreate),
  output(201, data(ZSource)),
  async (c) => {
    const { source, token } = await createSource(c.var.deps.db, c.var.deps.keyring, c.var.actor!, c.req.valid('json'))
    return c.json({ data: { ...source, url: token ? intakeUrl(base(c), token) : undefined } }, 201)
  },
)

/** One source; `?with_url=true` (sources.write) adds its POST URL. */
sourcesApi.get(
  '/api/v1/sources/:id',
  guard({ auth: 'actor', permission: 'sources.read' }),
  input('query', z.object({ with_url: z.enum(['true', 'false']).optional() })),
  output(200, data(ZSource)),
  async (c) =>
    c.json({
      data: await getSource(c.var.deps.db, c.var.deps.keyring, c.var.actor!, idParam(c.req.param('id'), 'source'), {
        withUrl: c.req.valid('query').with_url === 'true',
        publicUrl: base(c),
      }),
    }),
)

sourcesApi.patch(
  '/api/v1/sources/:id',
  guard({ auth: 'actor', permission: 'sources.write' }),
  input('json', ZUpdate),
  output(200, data(ZSource)),
  async (c) => {
    const { source, token } = await updateSource(
      c.var.deps.db,
      c.var.deps.keyring,
      c.var.actor!,
      idParam(c.req.param('id'), 'source'),
      c.req.valid('json'),
    )
    return c.json({ data: { ...source, url: token ? intakeUrl(base(c), token) : undefined } })
  },
)

/**
 * Deletes a source that never received an alert; one with alerts answers 409 (disable it instead),
 * because its alerts are evidence (see domain/sources/delete-source.ts).
 */
sourcesApi.delete(
  '/api/v1/sources/:id',
  guard({ auth: 'actor', permission: 'sources.write' }),
  output(200, data(ZDeleted)),
  async (c) => {
    const source = await deleteSource(c.var.deps.db, c.var.actor!, idParam(c.req.param('id'), 'source'))
    return c.json({ data: { id: source.id, deleted: true as const } })
  },
)

/**
 * CSV upload to a csv source: the body is the CSV (text/csv) or a multipart form with `file`.
 * All or nothing: 400 with `error.details.rows` (line, error) when any row is rejected.
 */
sourcesApi.post(
  '/api/v1/sources/:id/uploads',
  guard({ auth: 'actor', permission: 'sources.write' }),
  accepts(
    'text/csv',
    { type: 'string' },
    'message-id,recipient rows (also accepted as multipart/form-data field "file"); all or nothing',
  ),
  output(201, data(z.strictObject({ incidentId: z.number().int(), alerts: z.number().int() }))),
  async (c) => {
    const max = c.var.deps.config.maxAttachmentBytes
    let text: string
    let filename = 'upload.csv'
    if (/multipart\/form-data/.test(c.req.header('content-type') ?? '')) {
      const form = await c.req.parseBody()
      const f = form.file
      if (!(f instanceof File)) throw new AppError('INVALID_REQUEST', 'file: required')
      if (f.size > max) throw new AppError('PAYLOAD_TOO_LARGE', `file: larger than ${max} bytes`)
      filename = f.name || filename
      text = await f.text()
    } else {
      text = await c.req.text()
      if (Buffer.byteLength(text) > max) throw new AppError('PAYLOAD_TOO_LARGE', `body: larger than ${max} bytes`)
    }
    try {
      return c.json(
        {
          data: await uploadCsv(
            c.var.deps.db,
            c.var.deps.boss,
            c.var.deps.keyring,
            c.var.actor!,
            idParam(c.req.param('id'), 'source'),
            text,
            filename,
          ),
        },
        201,
      )
    } catch (err) {
      if (err instanceof AppError && err.details)
        return c.json({ error: { code: err.code, message: err.message, details: err.details } }, 400)
      throw err
    }
  },
)
