import { Hono } from 'hono'
import { z } from 'zod'
import { ZAbuseMailboxSettings } from '../../domain/abuse/abuse-settings.ts'
import { createAbuseMailbox } from '../../domain/abuse/create-abuse-mailbox.ts'
import { getAbuseMailbox } from '../../domain/abuse/get-abuse-mailbox.ts'
import { getAbuseReport } from '../../domain/abuse/get-abuse-report.ts'
import { listAbuseMailboxes } from '../../domain/abuse/list-abuse-mailboxes.ts'
import { listIncidentReporters } from '../../domain/abuse/list-incident-reporters.ts'
import { testAbuseMailbox } from '../../domain/abuse/test-abuse-mailbox.ts'
import { updateAbuseMailbox } from '../../domain/abuse/update-abuse-mailbox.ts'
import { openBlob } from '../../domain/attachments/blob-store.ts'
import { deleteSource } from '../../domain/sources/delete-source.ts'
import { notFound } from '../../errors.ts'
import { output, produces } from '../describe.ts'
import type { AppEnv } from '../env.ts'
import { download } from '../incidents/index.ts'
import { guard } from '../middleware/auth.ts'
import { idParam } from '../params.ts'
import { data, ZDeleted, ZTime } from '../schemas.ts'
import { input, text } from '../validate.ts'

const ZHealth = z.strictObject({
  lastPollAt: ZTime.nullable(),
  lastSuccessAt: ZTime.nullable(),
  backlog: z.number().int().nullable(),
  processed: z.number().int(),
  lastError: z.string().nullable(),
  lastErrorAt: ZTime.nullable(),
  failures: z.number().int(),
  mode: z.string().nullable().meta({ description: 'idle (IMAP IDLE) or poll' }),
})
const ZAbuseMailbox = z.strictObject({
  id: z.number().int(),
  name: z.string(),
  type: z.literal('abuse_mailbox'),
  settings: z.unknown(),
  linkingRules: z.unknown(),
  isEnabled: z.boolean(),
  createdAt: ZTime,
  updatedAt: ZTime,
  health: ZHealth.optional(),
  conditionId: z.number().int().optional().meta({ description: 'the analysis match condition created with it' }),
})
const ZCreate = z.strictObject({
  name: text(200).min(1),
  settings: ZAbuseMailboxSettings,
  isEnabled: z.boolean().optional(),
})
const ZUpdate = z.strictObject({
  name: text(200).min(1).optional(),
  isEnabled: z.boolean().optional(),
  settings: ZAbuseMailboxSettings.partial().optional(),
})
const ZReporter = z.strictObject({
  id: z.number().int(),
  alertId: z.number().int(),
  reporter: z.string(),
  reporterName: z.string(),
  reportedAt: ZTime.nullable(),
  receivedAt: ZTime,
  subject: z.string(),
  source: z.string(),
  originalFormat: z.string(),
  originalMessageId: z.string().nullable(),
})

const read = guard({ auth: 'actor', permission: 'sources.read' })
const write = guard({ auth: 'actor', permission: 'sources.write' })
const mailboxId = (raw: string | undefined) => idParam(raw, 'abuse mailbox')

/** Abuse-mailbox sources (issue 18): CRUD, connection test, health; reporters and report downloads. */
export const abuseMailboxesApi = new Hono<AppEnv>()

abuseMailboxesApi.get('/api/v1/abuse-mailboxes', read, output(200, data(z.array(ZAbuseMailbox))), async (c) =>
  c.json({ data: (await listAbuseMailboxes(c.var.deps.db, c.var.actor!)) as never }),
)

abuseMailboxesApi.post(
  '/api/v1/abuse-mailboxes',
  write,
  input('json', ZCreate),
  output(201, data(ZAbuseMailbox)),
  async (c) => {
    const { source, conditionId } = await createAbuseMailbox(c.var.deps.db, c.var.actor!, c.req.valid('json'))
    return c.json({ data: { ...source, conditionId } as never }, 201)
  },
)

abuseMailboxesApi.get('/api/v1/abuse-mailboxes/:id', read, output(200, data(ZAbuseMailbox)), async (c) =>
  c.json({ data: (await getAbuseMailbox(c.var.deps.db, c.var.actor!, mailboxId(c.req.param('id')))) as never }),
)

abuseMailboxesApi.patch(
  '/api/v1/abuse-mailboxes/:id',
  write,
  input('json', ZUpdate),
  output(200, data(ZAbuseMailbox)),
  async (c) =>
    c.json({
      data: (await updateAbuseMailbox(
        c.var.deps.db,
        c.var.actor!,
        mailboxId(c.req.param('id')),
        c.req.valid('json'),
      )) as never,
    }),
)

/** Deletes an abuse mailbox that never stored a report (409 otherwise: disable it instead). */
abuseMailboxesApi.delete('/api/v1/abuse-mailboxes/:id', write, output(200, data(ZDeleted)), async (c) => {
  const id = mailboxId(c.req.param('id'))
  await getAbuseMailbox(c.var.deps.db, c.var.actor!, id)
  await deleteSource(c.var.deps.db, c.var.actor!, id)
  return c.json({ data: { id, deleted: true as const } })
})

abuseMailboxesApi.post(
  '/api/v1/abuse-mailboxes/:id/test',
  write,
  output(
    200,
    data(
      z.strictObject({
        ok: z.boolean(),
        message: z.string(),
        backlog: z.number().int().nullable(),
        mode: z.string().nullable(),
      }),
    ),
  ),
  async (c) =>
    c.json({
      data: await testAbuseMailbox(
        c.var.deps.db,
        c.var.deps.keyring,
        c.var.log,
        c.var.actor!,
        mailboxId(c.req.param('id')),
      ),
    }),
)

abuseMailboxesApi.get(
  '/api/v1/incidents/:id/reporters',
  guard({ auth: 'actor', permission: 'alerts.read', object: 'incident' }),
  output(200, data(z.array(ZReporter))),
  async (c) =>
    c.json({ data: await listIncidentReporters(c.var.deps.db, c.var.actor!, idParam(c.req.param('id'), 'incident')) }),
)

/** The user's report as it arrived in the abuse mailbox (.eml), as a download. */
abuseMailboxesApi.get(
  '/api/v1/abuse-reports/:id/report',
  guard({ auth: 'actor', permission: 'alerts.read' }),
  produces('message/rfc822', 'the report as received in the abuse mailbox (.eml)'),
  async (c) => {
    const r = await getAbuseReport(c.var.deps.db, c.var.actor!, idParam(c.req.param('id'), 'abuse report'))
    const blob = openBlob(c.var.deps.config.dataDir, r.reportSha256)
    if (!blob) throw notFound('report message')
    return download(blob, `report-${r.id}.eml`, 'message/rfc822')
  },
)

/** The reported original extracted from the report (.eml, or the attached Outlook .msg), as a download. */
abuseMailboxesApi.get(
  '/api/v1/abuse-reports/:id/original',
  guard({ auth: 'actor', permission: 'alerts.read' }),
  produces('message/rfc822', 'the reported original (.eml; an attached Outlook .msg as is)'),
  async (c) => {
    const r = await getAbuseReport(c.var.deps.db, c.var.actor!, idParam(c.req.param('id'), 'abuse report'))
    const blob = openBlob(c.var.deps.config.dataDir, r.originalSha256)
    if (!blob) throw notFound('original message')
    const isMsg = r.originalFormat === 'msg'
    return download(
      blob,
      `original-${r.id}.${isMsg ? 'msg' : 'eml'}`,
      isMsg ? 'application/vnd.ms-outlook' : 'message/rfc822',
    )
  },
)
