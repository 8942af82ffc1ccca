import { Hono } from 'hono'
import { z } from 'zod'
import { addComment } from '../../domain/incidents/add-comment.ts'
import { addIncidentUsers } from '../../domain/incidents/add-incident-users.ts'
import { closeIncidents } from '../../domain/incidents/close-incidents.ts'
import { getIncident } from '../../domain/incidents/get-incident.ts'
import { listCompatIncidents } from '../../domain/incidents/list-compat-incidents.ts'
import { setDescription } from '../../domain/incidents/set-description.ts'
import { setTeamAndAssignee } from '../../domain/incidents/set-team-and-assignee.ts'
import { updateIncidentFields } from '../../domain/incidents/update-incident-fields.ts'
import { bracketMessageId } from '../../domain/intake/normalize-alert.ts'
import { output } from '../describe.ts'
import type { AppEnv } from '../env.ts'
import { guard } from '../middleware/auth.ts'
import { visible } from '../middleware/visible.ts'
import { boolParam, dateParam, idParam } from '../params.ts'
import { ZCompatIncident } from '../schemas.ts'
import { fieldName, idQuery, input, lenientJson, text } from '../validate.ts'

const write = [
  guard({ auth: 'actor', permission: 'incidents.write', object: 'incident' }),
  visible('incident'),
] as const
const str = text(100_000)
const ZComment = z.object({ summary: str.default(''), detail: str.optional() })
const ZClose = z.object({ summary: str.optional(), detail: str.optional() })
const ZBulkClose = ZClose.extend({ incidentIds: z.array(idQuery()).min(1).max(10_000) })
const ZUsers = z.object({
  targets: z.array(text(320)).max(1000).optional(),
  attackers: z.array(text(320)).max(1000).optional(),
})
const ZDescription = z.object({
  description: str,
  overwrite: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]).default(false),
})
const ZTeam = z.object({
  team: text(200).nullable().optional(),
  assignee: text(200).nullable().optional(),
})
const ZFields = z.object({ fields: z.record(fieldName(), text(10_000).nullable()) })
const comment = lenientJson(ZComment)
const close = lenientJson(ZClose)
const bulkClose = lenientJson(ZBulkClose)
const users = lenientJson(ZUsers)
const description = lenientJson(ZDescription)
const team = lenientJson(ZTeam)
const fields = lenientJson(ZFields)
const incident = output(200, ZCompatIncident)
const ZTime = z.string().meta({ description: 'YYYY-MM-DDTHH:MM:SSZ' })

/** Query parameters as API-COMPAT.md documents them (read leniently by the handler: repeats and commas). */
const p = (description: string) =>
  z
    .union([z.string(), z.array(z.string())])
    .optional()
    .meta({ description })
const ZListQuery = z.object({
  state: p('lower-case states, repeated or comma-separated'),
  created_after: p('ISO-8601, inclusive; without a lower bound: the last 30 days'),
  created_before: p('ISO-8601, exclusive'),
  closed_after: p('ISO-8601, inclusive'),
  closed_before: p('ISO-8601, exclusive'),
  message_id: p('message-ids, repeated or comma-separated'),
  expand_events: p('false gives event_ids instead of events'),
  limit: p('with a lower bound the page size, else the N most recent; non-numeric is ignored'),
  page_size: p('answer one page of at most N (≤1000) and the next cursor in X-Next-Cursor'),
  cursor: p('X-Next-Cursor of the previous page'),
})

/** The history record the comment POST answers (API-COMPAT.md). */
const historyRecord = (h: {
  id: number
  incidentId: number
  userId: number | null
  historyType: string
  stateFrom: string | null
  stateTo: string | null
  summary: string
  detail: string
  responseId: number | null
  createdAt: Date
}) => {
  const at = `${h.createdAt.toISOString().slice(0, 19)}Z`
  return {
    id: h.id,
    incident_id: h.incidentId,
    user_id: h.userId,
    history_type: h.historyType,
    state_from: h.stateFrom,
    state_to: h.stateTo,
    summary: h.summary,
    detail: h.detail,
    response_id: h.responseId,
    created_at: at,
    updated_at: at,
  }
}

export const compatIncidents = new Hono<AppEnv>()

/**
 * Compatible incident list: half-open windows, lower-case state in, ordered by (created_at, id).
 * Un-paged (streamed) by default; `page_size` + `cursor` page it (next cursor in `X-Next-Cursor`);
 * `limit=N` alone answers the N most recent; a non-numeric `limit` is ignored.
 */
const listHandler = guard({ auth: 'actor', permission: 'incidents.read' })
compatIncidents.on(
  'GET',
  ['/api/incidents', '/api/incidents/'],
  listHandler,
  input('query', ZListQuery),
  output(200, z.array(ZCompatIncident)),
  async (c) => {
    const q = (n: string) => c.req.query(n)
    const states = (c.req.queries('state') ?? [])
      .flatMap((s) => s.split(','))
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean)
    const messageIds = (c.req.queries('message_id') ?? [])
      .flatMap((s) => s.split(','))
      .map((s) => s.trim())
      .filter(Boolean)
      .map(bracketMessageId)
    const limit = /^\d{1,5}$/.test(q('limit') ?? '') ? Math.min(Number(q('limit')), 10_000) : undefined
    const pageSize = /^\d{1,4}$/.test(q('page_size') ?? '')
      ? Math.max(1, Math.min(Number(q('page_size')), 1000))
      : undefined
    const createdAfter = dateParam(q('created_after'), 'created_after')
    const closedAfter = dateParam(q('closed_after'), 'closed_after')
    const hasLower = createdAfter || closedAfter || messageIds.length
    const result = listCompatIncidents(c.var.deps.db, c.var.actor!, {
      states,
      createdAfter,
      createdBefore: dateParam(q('created_before'), 'created_before'),
      closedAfter,
      closedBefore: dateParam(q('closed_before'), 'closed_before'),
      messageIds,
      expand: boolParam(q('expand_events'), true),
      pageSize: pageSize ?? (hasLower ? limit : undefined),
      cursor: q('cursor') || undefined,
      recent: !hasLower && !pageSize ? limit : undefined,
    })
    if (result.kind === 'page') {
      const page = await result.load()
      if (page.nextCursor) c.header('X-Next-Cursor', page.nextCursor)
      return c.body(page.body, 200, { 'content-type': 'application/json; charset=utf-8' })
    }
    const it = result.chunks()
    const enc = new TextEncoder()
    const stream = new ReadableStream<Uint8Array>({
      async pull(ctrl) {
        try {
          const next = await it.next()
          if (next.done) ctrl.close()
          else ctrl.enqueue(enc.encode(next.value))
        } catch (err) {
          c.var.log.error({ err }, 'incident stream failed')
          ctrl.error(err)
        }
      },
      async cancel() {
        await it.return(undefined)
      },
    })
    return new Response(stream, {
      status: 200,
      headers: { 'content-type': 'application/json; charset=utf-8', 'x-request-id': c.var.requestId },
    })
  },
)

compatIncidents.post(
  '/api/incidents/close.json',
  guard({ auth: 'actor', permission: 'incidents.write' }),
  bulkClose,
  output(200, z.strictObject({ closed: z.array(z.number().int()), alreadyClosed: z.array(z.number().int()) })),
  async (c) => {
    const b = bulkClose.of(c)
    return c.json(await closeIncidents(c.var.deps.db, c.var.actor!, b.incidentIds, b), 200)
  },
)

compatIncidents.get(
  '/api/incidents/:id',
  guard({ auth: 'actor', permission: 'incidents.read', object: 'incident' }),
  input('query', z.object({ expand_events: p('false gives event_ids instead of events') })),
  incident,
  async (c) =>
    c.json(
      await getIncident(c.var.deps.db, c.var.actor!, idParam(c.req.param('id')), {
        expand: boolParam(c.req.query('expand_events'), true),
      }),
    ),
)

const ZHistoryRecord = z.strictObject({
  id: z.number().int(),
  incident_id: z.number().int(),
  user_id: z.number().int().nullable(),
  history_type: z.string(),
  state_from: z.string().nullable(),
  state_to: z.string().nullable(),
  summary: z.string(),
  detail: z.string(),
  response_id: z.number().int().nullable(),
  created_at: ZTime,
  updated_at: ZTime,
})
compatIncidents.post('/api/incidents/:id/comments.json', ...write, comment, output(201, ZHistoryRecord), async (c) => {
  const b = comment.of(c)
  return c.json(historyRecord(await addComment(c.var.deps.db, c.var.actor!, idParam(c.req.param('id')), b)), 201)
})

compatIncidents.post('/api/incidents/:id/users.json', ...write, users, incident, async (c) => {
  const id = idParam(c.req.param('id'))
  await addIncidentUsers(c.var.deps.db, c.var.actor!, id, users.of(c))
  return c.json(await getIncident(c.var.deps.db, c.var.actor!, id, { expand: false }), 200)
})

compatIncidents.post('/api/incidents/:id/close.json', ...write, close, incident, async (c) => {
  const id = idParam(c.req.param('id'))
  await closeIncidents(c.var.deps.db, c.var.actor!, [id], close.of(c))
  return c.json(await getIncident(c.var.deps.db, c.var.actor!, id, { expand: false }), 200)
})

compatIncidents.post('/api/incidents/:id/description.json', ...write, description, incident, async (c) => {
  const id = idParam(c.req.param('id'))
  await setDescription(c.var.deps.db, c.var.actor!, id, description.of(c))
  return c.json(await getIncident(c.var.deps.db, c.var.actor!, id, { expand: false }), 200)
})

compatIncidents.post('/api/incidents/:id/team_and_assignee.json', ...write, team, incident, async (c) => {
  const id = idParam(c.req.param('id'))
  await setTeamAndAssignee(c.var.deps.db, c.var.actor!, id, team.of(c))
  return c.json(await getIncident(c.var.deps.db, c.var.actor!, id, { expand: false }), 200)
})

compatIncidents.post(
  '/api/incidents/:id/incident_fields.json',
  ...write,
  input('query', z.object({ allow_data_override: p('true lets the update replace values set by alerts') })),
  fields,
  incident,
  async (c) => {
    const id = idParam(c.req.param('id'))
    const b = fields.of(c)
    await updateIncidentFields(c.var.deps.db, c.var.actor!, id, b.fields, {
      allowOverride: boolParam(c.req.query('allow_data_override'), false),
    })
    return c.json(await getIncident(c.var.deps.db, c.var.actor!, id, { expand: false }), 200)
  },
)
