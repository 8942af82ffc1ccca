import { Hono } from 'hono'
import { z } from 'zod'
import { createMatchCondition } from '../../domain/matching/create-match-condition.ts'
import { deleteMatchCondition } from '../../domain/matching/delete-match-condition.ts'
import { dryRunMatchCondition } from '../../domain/matching/dry-run-match-condition.ts'
import { listMatchConditions } from '../../domain/matching/list-match-conditions.ts'
import { ZMatchConditionInput, ZMatchConditionPatch } from '../../domain/matching/match-condition-input.ts'
import { updateMatchCondition } from '../../domain/matching/update-match-condition.ts'
import { output } from '../describe.ts'
import type { AppEnv } from '../env.ts'
import { guard } from '../middleware/auth.ts'
import { idParam } from '../params.ts'
import { data, ZDeleted, ZDryRun, ZMatchCondition } from '../schemas.ts'
import { input } from '../validate.ts'

const read = guard({ auth: 'actor', permission: 'sources.read' })
const write = guard({ auth: 'actor', permission: 'sources.write' })
const sourceId = (raw: string | undefined) => idParam(raw, 'source')
const conditionId = (raw: string | undefined) => idParam(raw, 'match condition')

export const matchConditionsApi = new Hono<AppEnv>()

/** A source's conditions in evaluation order; also the export format (`conditions` of the import). */
matchConditionsApi.get(
  '/api/v1/sources/:id/match-conditions',
  read,
  output(200, data(z.array(ZMatchCondition))),
  async (c) => c.json({ data: await listMatchConditions(c.var.deps.db, c.var.actor!, sourceId(c.req.param('id'))) }),
)
matchConditionsApi.post(
  '/api/v1/sources/:id/match-conditions',
  write,
  input('json', ZMatchConditionInput),
  output(201, data(ZMatchCondition)),
  async (c) =>
    c.json(
      {
        data: await createMatchCondition(c.var.deps.db, c.var.actor!, sourceId(c.req.param('id')), c.req.valid('json')),
      },
      201,
    ),
)
/** Imports exported conditions (appended, disabled: dry-run then enable them). */
matchConditionsApi.post(
  '/api/v1/sources/:id/match-conditions/import',
  write,
  input('json', z.strictObject({ conditions: z.array(z.record(z.string(), z.unknown())).min(1).max(500) })),
  output(201, data(z.array(ZMatchCondition))),
  async (c) => {
    const id = sourceId(c.req.param('id'))
    const created = []
    for (const raw of c.req.valid('json').conditions) {
      const { id: _id, sourceId: _s, position: _p, createdAt: _c, updatedAt: _u, ...rest } = raw
      created.push(await createMatchCondition(c.var.deps.db, c.var.actor!, id, { ...rest, isEnabled: false }))
    }
    return c.json({ data: created }, 201)
  },
)
/** What a draft condition would have matched and run on the last `days` days of the source's alerts (writes nothing). */
matchConditionsApi.post(
  '/api/v1/sources/:id/match-conditions/dry-run',
  read,
  input('query', z.object({ days: z.coerce.number().int().min(1).max(90).default(7) })),
  input('json', ZMatchConditionInput),
  output(200, data(ZDryRun)),
  async (c) =>
    c.json({
      data: await dryRunMatchCondition(
        c.var.deps.db,
        c.var.actor!,
        sourceId(c.req.param('id')),
        c.req.valid('json'),
        c.req.valid('query').days,
      ),
    }),
)
matchConditionsApi.patch(
  '/api/v1/match-conditions/:id',
  write,
  input('json', ZMatchConditionPatch),
  output(200, data(ZMatchCondition)),
  async (c) =>
    c.json({
      data: await updateMatchCondition(
        c.var.deps.db,
        c.var.actor!,
        conditionId(c.req.param('id')),
        c.req.valid('json'),
      ),
    }),
)
matchConditionsApi.delete('/api/v1/match-conditions/:id', write, output(200, data(ZDeleted)), async (c) =>
  c.json({ data: await deleteMatchCondition(c.var.deps.db, c.var.actor!, conditionId(c.req.param('id'))) }),
)
