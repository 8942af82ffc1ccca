import { Hono } from 'hono'
import { z } from 'zod'
import { listQuarantineResults } from '../../domain/quarantine/list-quarantine-results.ts'
import { previewQuarantine } from '../../domain/quarantine/preview-quarantine.ts'
import { requestResponseRun } from '../../domain/responses/request-response-run.ts'
import { output } from '../describe.ts'
import type { AppEnv } from '../env.ts'
import { guard } from '../middleware/auth.ts'
import { visible } from '../middleware/visible.ts'
import { idParam } from '../params.ts'
import { data, ZTime } from '../schemas.ts'
import { input } from '../validate.ts'

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

const ZPreview = z.strictObject({
  incidentId: z.number().int(),
  isCsvUpload: z.boolean(),
  mailboxes: z.array(
    z.strictObject({
      mailbox: z.string(),
      messageId: z.string().nullable().meta({ description: 'null: searched by sender, subject and delivery time' }),
      recipientType: z.string(),
      via: z.string().nullable(),
      connector: z.string().nullable(),
      action: z.enum(['quarantine', 'exempt', 'no connector', 'done']),
    }),
  ),
  counts: z.strictObject({
    quarantine: z.number().int(),
    exempt: z.number().int(),
    noConnector: z.number().int(),
    done: z.number().int(),
  }),
})

/** The mailboxes a quarantine of the incident would touch (groups expanded), before it runs (a CSV upload's one-action pull). */
quarantineApi.get(
  '/api/v1/incidents/:id/quarantine-preview',
  guard({ auth: 'actor', permission: 'quarantine', object: 'incident' }),
  visible('incident'),
  output(200, data(ZPreview)),
  async (c) =>
    c.json({
      data: await previewQuarantine(
        { db: c.var.deps.db, keyring: c.var.deps.keyring, log: c.var.log },
        c.var.actor!,
        idParam(c.req.param('id'), 'incident'),
        AbortSignal.any([c.req.raw.signal, AbortSignal.timeout(60_000)]),
      ),
    }),
)

/** Quarantines the incident's message in every mailbox of the preview, in one action (a mail.quarantine run). */
quarantineApi.post(
  '/api/v1/incidents/:id/quarantine',
  guard({ auth: 'actor', permission: 'quarantine', object: 'incident' }),
  visible('incident'),
  input(
    'json',
    z.strictObject({
      followForwards: z.boolean().optional(),
      maxForwardDepth: z.number().int().min(0).max(10).optional(),
      autoClose: z.boolean().optional(),
      requiresApproval: z.boolean().optional(),
    }),
  ),
  output(202, data(z.strictObject({ runIds: z.array(z.number().int()), status: z.string() }))),
  async (c) => {
    const { requiresApproval, ...params } = c.req.valid('json')
    return c.json(
      {
        data: await requestResponseRun(
          c.var.deps.db,
          c.var.deps.boss,
          c.var.actor!,
          idParam(c.req.param('id'), 'incident'),
          {
            type: 'mail.quarantine',
            params,
            requiresApproval,
          },
        ),
      },
      202,
    )
  },
)
