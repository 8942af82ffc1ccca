import { Hono } from 'hono'
import { z } from 'zod'
import { actOnResponseRun } from '../../domain/responses/act-on-response-run.ts'
import { listResponsePermissions } from '../../domain/responses/list-response-permissions.ts'
import { listResponseRuns } from '../../domain/responses/list-response-runs.ts'
import { requestResponseRun } from '../../domain/responses/request-response-run.ts'
import { setResponsePermission } from '../../domain/responses/set-response-permission.ts'
import { output } from '../describe.ts'
import type { AppEnv } from '../env.ts'
import { guard } from '../middleware/auth.ts'
import { visible } from '../middleware/visible.ts'
import { idParam } from '../params.ts'
import { data, ZResponsePermission, ZResponseRun } from '../schemas.ts'
import { id, input, text } from '../validate.ts'

const incidentId = (raw: string | undefined) => idParam(raw, 'incident')
const runId = (raw: string | undefined) => idParam(raw, 'response run')
const run = guard({ auth: 'actor', permission: 'responses.run' })

export const responsesApi = new Hono<AppEnv>()

responsesApi.get(
  '/api/v1/incidents/:id/responses',
  guard({ auth: 'actor', permission: 'incidents.read', object: 'incident' }),
  visible('incident'),
  output(200, data(z.array(ZResponseRun))),
  async (c) => c.json({ data: await listResponseRuns(c.var.deps.db, c.var.actor!, incidentId(c.req.param('id'))) }),
)
/** Runs a response by hand (one run per target), optionally through two-person approval. */
responsesApi.post(
  '/api/v1/incidents/:id/responses',
  guard({ auth: 'actor', permission: 'responses.run', object: 'incident' }),
  visible('incident'),
  input(
    'json',
    z.strictObject({
      type: z.string().min(1).max(100),
      params: z.record(z.string(), z.unknown()).default({}),
      requiresApproval: z.boolean().optional(),
    }),
  ),
  output(202, data(z.strictObject({ runIds: z.array(z.number().int()), status: z.string() }))),
  async (c) =>
    c.json(
      {
        data: await requestResponseRun(
          c.var.deps.db,
          c.var.deps.boss,
          c.var.actor!,
          incidentId(c.req.param('id')),
          c.req.valid('json'),
        ),
      },
      202,
    ),
)
for (const act of ['press', 'approve', 'reject', 'undo'] as const)
  responsesApi.post(
    `/api/v1/response-runs/:id/${act}`,
    run,
    output(202, data(z.strictObject({ runId: z.number().int(), action: z.string() }))),
    async (c) =>
      c.json(
        { data: await actOnResponseRun(c.var.deps.db, c.var.deps.boss, c.var.actor!, runId(c.req.param('id')), act) },
        202,
      ),
  )

responsesApi.get('/api/v1/response-types', run, output(200, data(z.array(ZResponsePermission))), async (c) =>
  c.json({ data: await listResponsePermissions(c.var.deps.db, c.var.actor!) }),
)
/** Which teams may run a response type by hand. */
responsesApi.put(
  '/api/v1/response-types/:type/teams',
  guard({ auth: 'actor', permission: 'teams.manage' }),
  input('param', z.object({ type: text(100).min(1) })),
  input('json', z.strictObject({ teamIds: z.array(id()).max(1000) })),
  output(200, data(z.strictObject({ type: z.string(), teamIds: z.array(z.number().int()) }))),
  async (c) =>
    c.json({
      data: await setResponsePermission(
        c.var.deps.db,
        c.var.actor!,
        c.req.valid('param').type,
        c.req.valid('json').teamIds,
      ),
    }),
)
