import { Readable } from 'node:stream'
import { Hono } from 'hono'
import { z } from 'zod'
import { getOriginalMessage } from '../../domain/alerts/get-original-message.ts'
import { addAttachment } from '../../domain/attachments/add-attachment.ts'
import { getAttachment } from '../../domain/attachments/get-attachment.ts'
import { addComment } from '../../domain/incidents/add-comment.ts'
import { addIncidentHosts, HOST_KINDS } from '../../domain/incidents/add-incident-hosts.ts'
import { closeIncidents } from '../../domain/incidents/close-incidents.ts'
import { getIncident } from '../../domain/incidents/get-incident.ts'
import { getIncidentActivity } from '../../domain/incidents/get-incident-activity.ts'
import { ignoreIncident } from '../../domain/incidents/ignore-incident.ts'
import { INCIDENT_SORTS, type IncidentSort, listIncidents } from '../../domain/incidents/list-incidents.ts'
import { patchIncident } from '../../domain/incidents/patch-incident.ts'
import { removeIncidentHosts } from '../../domain/incidents/remove-incident-hosts.ts'
import { reopenIncident } from '../../domain/incidents/reopen-incident.ts'
import { AppError } from '../../errors.ts'
import { FILE_UPLOAD, output, produces } from '../describe.ts'
import type { AppEnv } from '../env.ts'
import { guard } from '../middleware/auth.ts'
import { visible } from '../middleware/visible.ts'
import { boolParam, idParam } from '../params.ts'
import { data, ZAttachment, ZCompatIncident, ZIncidentActivity, ZIncidentHistory, ZIncidentPage } from '../schemas.ts'
import { countQuery, date, fieldName, id, idQuery, input, text } from '../validate.ts'

const read = [guard({ auth: 'actor', permission: 'incidents.read', object: 'incident' }), visible('incident')] as const
const write = [
  guard({ auth: 'actor', permission: 'incidents.write', object: 'incident' }),
  visible('incident'),
] as const
const list = (v: string | undefined) =>
  v
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined

/** `sort`: one of INCIDENT_SORTS (default created); anything else is a 400 naming the parameter. */
const sortParam = (v: string | undefined): IncidentSort | undefined => {
  if (v === undefined || v === '') return undefined
  if (!(INCIDENT_SORTS as string[]).includes(v))
    throw new AppError('INVALID_REQUEST', `sort: one of ${INCIDENT_SORTS.join(', ')}`)
  return v as IncidentSort
}

export const incidentsApi = new Hono<AppEnv>()

const q = (description: string) => text(1000).optional().meta({ description })
const d = (description: string) => date().optional().meta({ description })
const ZListQuery = z.object({
  state: q('comma-separated states (new, open, assigned, closed, ignored)'),
  created_from: d('ISO-8601 date or time, inclusive'),
  created_to: d('ISO-8601 date or time, exclusive'),
  closed_from: d('ISO-8601 date or time, inclusive'),
  closed_to: d('ISO-8601 date or time, exclusive'),
  severity: q('comma-separated severities'),
  source_id: idQuery().optional().meta({ description: 'a source id' }),
  team_id: idQuery().optional().meta({ description: 'a team id' }),
  assignee_id: z
    .union([z.literal('none'), idQuery()])
    .optional()
    .meta({ description: 'a user id, or "none" for unassigned' }),
  abuse_disposition: q('exact abuse disposition'),
  classification: q('exact classification'),
  q: q('free text over summary, attackers and targets'),
  sort: q(`one of ${INCIDENT_SORTS.join(', ')} (default created)`),
  order: z.enum(['asc', 'desc']).optional(),
  limit: countQuery(1000).optional().meta({ description: 'page size' }),
  cursor: q('nextCursor of the previous page'),
})

/** Native incident list: filters as query parameters, keyset paging (`cursor`), state counts. */
incidentsApi.get(
  '/api/v1/incidents',
  guard({ auth: 'actor', permission: 'incidents.read' }),
  input('query', ZListQuery),
  output(200, ZIncidentPage),
  async (c) => {
    const p = c.req.valid('query')
    return c.json(
      await listIncidents(c.var.deps.db, c.var.actor!, {
        states: list(p.state),
        createdFrom: p.created_from,
        createdTo: p.created_to,
        closedFrom: p.closed_from,
        closedTo: p.closed_to,
        severities: list(p.severity),
        sourceId: p.source_id,
        teamId: p.team_id,
        assigneeId: p.assignee_id,
        abuseDisposition: p.abuse_disposition,
        classification: p.classification,
        q: p.q,
        sort: sortParam(p.sort),
        order: p.order ?? 'desc',
        limit: p.limit,
        cursor: p.cursor,
      }),
    )
  },
)

incidentsApi.get(
  '/api/v1/incidents/:id',
  ...read,
  input('query', z.object({ expand_events: q('false gives event_ids instead of events (default true)') })),
  output(200, data(ZCompatIncident)),
  async (c) =>
    c.json({
      data: await getIncident(c.var.deps.db, c.var.actor!, idParam(c.req.param('id')), {
        expand: boolParam(c.req.valid('query').expand_events, true),
      }),
    }),
)

/** History (every change, comments included) and attachments of an incident. */
incidentsApi.get('/api/v1/incidents/:id/activity', ...read, output(200, data(ZIncidentActivity)), async (c) =>
  c.json({ data: await getIncidentActivity(c.var.deps.db, c.var.actor!, idParam(c.req.param('id'))) }),
)

const ZPatch = z.strictObject({
  fields: z.record(fieldName(), text(10_000).nullable()).optional(),
  allowOverride: z.boolean().optional(),
  team: text(200).nullable().optional(),
  assignee: text(200).nullable().optional(),
  description: text(100_000).optional(),
  appendDescription: z.boolean().optional(),
  targets: z.array(text(320)).max(1000).optional(),
  attackers: z.array(text(320)).max(1000).optional(),
  isPrivate: z.boolean().optional(),
})
/** Edits fields, team/assignee, description (overwrite or append), users and privacy in one call: all or nothing (one transaction). */
incidentsApi.patch(
  '/api/v1/incidents/:id',
  ...write,
  input('json', ZPatch),
  output(200, data(ZCompatIncident)),
  async (c) => {
    const id = idParam(c.req.param('id'))
    await patchIncident(c.var.deps.db, c.var.actor!, id, c.req.valid('json'))
    return c.json({ data: await getIncident(c.var.deps.db, c.var.actor!, id) })
  },
)

const ZNote = z.strictObject({
  summary: text(100_000).default(''),
  detail: text(100_000).optional(),
})
incidentsApi.post(
  '/api/v1/incidents/:id/comments',
  ...write,
  input('json', ZNote),
  output(201, data(ZIncidentHistory)),
  async (c) =>
    c.json(
      { data: await addComment(c.var.deps.db, c.var.actor!, idParam(c.req.param('id')), c.req.valid('json')) },
      201,
    ),
)
incidentsApi.post(
  '/api/v1/incidents/:id/close',
  ...write,
  input('json', ZNote),
  output(200, data(ZCompatIncident)),
  async (c) => {
    const id = idParam(c.req.param('id'))
    await closeIncidents(c.var.deps.db, c.var.actor!, [id], c.req.valid('json'))
    return c.json({ data: await getIncident(c.var.deps.db, c.var.actor!, id) })
  },
)
incidentsApi.post(
  '/api/v1/incidents/close',
  guard({ auth: 'actor', permission: 'incidents.write' }),
  input('json', ZNote.extend({ incidentIds: z.array(id()).min(1).max(10_000) })),
  output(200, data(z.strictObject({ closed: z.array(z.number().int()), alreadyClosed: z.array(z.number().int()) }))),
  async (c) => {
    const b = c.req.valid('json')
    return c.json({ data: await closeIncidents(c.var.deps.db, c.var.actor!, b.incidentIds, b) })
  },
)
incidentsApi.post(
  '/api/v1/incidents/:id/reopen',
  ...write,
  input('json', ZNote),
  output(200, data(ZCompatIncident)),
  async (c) => {
    const id = idParam(c.req.param('id'))
    await reopenIncident(c.var.deps.db, c.var.actor!, id, c.req.valid('json').summary)
    return c.json({ data: await getIncident(c.var.deps.db, c.var.actor!, id) })
  },
)
incidentsApi.post(
  '/api/v1/incidents/:id/ignore',
  ...write,
  input('json', ZNote),
  output(200, data(ZCompatIncident)),
  async (c) => {
    const id = idParam(c.req.param('id'))
    await ignoreIncident(c.var.deps.db, c.var.actor!, id, c.req.valid('json').summary)
    return c.json({ data: await getIncident(c.var.deps.db, c.var.actor!, id) })
  },
)

const ZHost = z.strictObject({
  kind: z.enum(HOST_KINDS).meta({ description: 'attacker, cnc, forensics or url' }),
  host: z.string().trim().min(1).max(2048).meta({ description: 'host name, IP address or URL' }),
})
const ZHosts = data(z.strictObject({ hosts: z.array(z.strictObject({ kind: z.string(), host: z.string() })) }))

/** Adds hosts (kept once each); answers the incident's hosts. Audited and in the incident's history. */
incidentsApi.post(
  '/api/v1/incidents/:id/hosts',
  ...write,
  input('json', z.strictObject({ hosts: z.array(ZHost).min(1).max(1000) })),
  output(200, ZHosts),
  async (c) => {
    const id = idParam(c.req.param('id'))
    const hosts = await addIncidentHosts(c.var.deps.db, c.var.actor!, id, c.req.valid('json').hosts)
    return c.json({ data: { hosts } })
  },
)

/** Removes one host (`kind` and `host` in the query; absent ones are ignored); answers the incident's hosts. */
incidentsApi.delete('/api/v1/incidents/:id/hosts', ...write, input('query', ZHost), output(200, ZHosts), async (c) => {
  const id = idParam(c.req.param('id'))
  const hosts = await removeIncidentHosts(c.var.deps.db, c.var.actor!, id, [c.req.valid('query')])
  return c.json({ data: { hosts } })
})

/** Attachment upload: multipart `file`, limited by CLAWBACK_MAX_ATTACHMENT_BYTES. */
incidentsApi.post(
  '/api/v1/incidents/:id/attachments',
  ...write,
  FILE_UPLOAD,
  output(201, data(ZAttachment)),
  async (c) => {
    const { config, db } = c.var.deps
    const len = Number(c.req.header('content-length') ?? 0)
    if (len > config.maxAttachmentBytes + 64 * 1024)
      throw new AppError('PAYLOAD_TOO_LARGE', `file: larger than ${config.maxAttachmentBytes} bytes`)
    const form = await c.req.parseBody()
    const f = form.file
    if (!(f instanceof File)) throw new AppError('INVALID_REQUEST', 'file: required (multipart form field)')
    const row = await addAttachment(
      db,
      c.var.actor!,
      { incidentId: idParam(c.req.param('id')) },
      { filename: f.name, contentType: f.type, bytes: new Uint8Array(await f.arrayBuffer()) },
      { dataDir: config.dataDir, maxBytes: config.maxAttachmentBytes },
    )
    return c.json({ data: row }, 201)
  },
)

/** Attachment download: always `Content-Disposition: attachment`, never rendered inline. */
incidentsApi.get(
  '/api/v1/attachments/:id',
  guard({ auth: 'actor' }),
  produces('application/octet-stream', 'the file, always as an attachment'),
  async (c) => {
    const { attachment, blob } = await getAttachment(
      c.var.deps.db,
      c.var.actor!,
      idParam(c.req.param('id'), 'attachment'),
      c.var.deps.config.dataDir,
    )
    return download(blob, attachment.filename, 'application/octet-stream')
  },
)

/** The original message (raw .eml) of an alert as a download, never rendered. */
incidentsApi.get(
  '/api/v1/alerts/:id/download_original_msg',
  guard({ auth: 'actor', permission: 'alerts.read' }),
  produces('message/rfc822', 'the original message as received (.eml)'),
  async (c) => {
    const { blob, filename } = await getOriginalMessage(
      c.var.deps.db,
      c.var.actor!,
      idParam(c.req.param('id'), 'alert'),
      c.var.deps.config.dataDir,
    )
    return download(blob, filename, 'message/rfc822')
  },
)

export const download = (blob: { size: number; stream: () => Readable }, filename: string, type: string) => {
  const safe = filename.replace(/[^\w.\- ]/g, '_')
  return new Response(Readable.toWeb(blob.stream()) as ReadableStream, {
    headers: {
      'content-type': type,
      'content-length': String(blob.size),
      'content-disposition': `attachment; filename="${safe}"`,
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
    },
  })
}
