import { Hono } from 'hono'
import { z } from 'zod'
import { deleteNotificationTemplate } from '../../domain/notification-templates/delete-notification-template.ts'
import { listNotificationTemplates } from '../../domain/notification-templates/list-notification-templates.ts'
import { saveNotificationTemplate } from '../../domain/notification-templates/save-notification-template.ts'
import { sendTestNotification } from '../../domain/notification-templates/send-test-notification.ts'
import { output } from '../describe.ts'
import type { AppEnv } from '../env.ts'
import { guard } from '../middleware/auth.ts'
import { idParam } from '../params.ts'
import { data, ZDeleted, ZTime } from '../schemas.ts'
import { id, input, text } from '../validate.ts'

const read = guard({ auth: 'actor', permission: 'sources.read' })
const write = guard({ auth: 'actor', permission: 'sources.write' })
const templateId = (raw: string | undefined) => idParam(raw, 'notification template')

const ZTemplate = z.strictObject({
  id: z.number().int(),
  name: z.string(),
  subject: z.string(),
  body: z.string(),
  isBuiltin: z.boolean(),
  createdAt: ZTime,
  updatedAt: ZTime,
})
/** Plain text with {{placeholders}} (see render-template.ts). */
const ZTemplateInput = z.strictObject({
  name: text(200).min(1),
  subject: text(998).min(1),
  body: text(20_000).min(1),
})

export const notificationTemplatesApi = new Hono<AppEnv>()

notificationTemplatesApi.get('/api/v1/notification-templates', read, output(200, data(z.array(ZTemplate))), async (c) =>
  c.json({ data: await listNotificationTemplates(c.var.deps.db, c.var.actor!) }),
)
notificationTemplatesApi.post(
  '/api/v1/notification-templates',
  write,
  input('json', ZTemplateInput),
  output(201, data(ZTemplate)),
  async (c) =>
    c.json({ data: await saveNotificationTemplate(c.var.deps.db, c.var.actor!, null, c.req.valid('json')) }, 201),
)
notificationTemplatesApi.put(
  '/api/v1/notification-templates/:id',
  write,
  input('json', ZTemplateInput),
  output(200, data(ZTemplate)),
  async (c) =>
    c.json({
      data: await saveNotificationTemplate(
        c.var.deps.db,
        c.var.actor!,
        templateId(c.req.param('id')),
        c.req.valid('json'),
      ),
    }),
)
notificationTemplatesApi.delete('/api/v1/notification-templates/:id', write, output(200, data(ZDeleted)), async (c) =>
  c.json({ data: await deleteNotificationTemplate(c.var.deps.db, c.var.actor!, templateId(c.req.param('id'))) }),
)
notificationTemplatesApi.post(
  '/api/v1/notification-templates/:id/test-send',
  write,
  input('json', z.strictObject({ connectorId: id(), to: z.email().max(320) })),
  output(200, data(z.strictObject({ sent: z.boolean(), error: z.string().nullable(), rejected: z.array(z.string()) }))),
  async (c) => {
    const { db, keyring, log } = c.var.deps
    const body = c.req.valid('json')
    return c.json({
      data: await sendTestNotification(db, keyring, log, c.var.actor!, templateId(c.req.param('id')), body),
    })
  },
)
