import { Hono } from 'hono'
import { z } from 'zod'
import { listNotifications } from '../../domain/notifications/list-notifications.ts'
import { markNotificationsRead } from '../../domain/notifications/mark-notifications-read.ts'
import { output } from '../describe.ts'
import type { AppEnv } from '../env.ts'
import { guard } from '../middleware/auth.ts'
import { ZTime } from '../schemas.ts'
import { input } from '../validate.ts'

// Any signed-in user or API key (a key acts for its creator): each sees only its own.
const own = guard({ auth: 'actor' })
const ZNotification = z.strictObject({
  id: z.number().int(),
  incidentId: z.number().int().nullable(),
  kind: z.enum(['assigned', 'state_changed', 'score', 'response_finished', 'response_failed']),
  message: z.string(),
  readAt: ZTime.nullable(),
  createdAt: ZTime,
})
const ZRead = z
  .strictObject({
    ids: z.array(z.number().int().positive()).min(1).max(1000).optional(),
    all: z.literal(true).optional(),
  })
  .refine((b) => (b.ids === undefined) !== (b.all === undefined), {
    message: 'give either ids or all: true',
    path: ['ids'],
  })

const readWhich = (b: z.infer<typeof ZRead>) => (b.ids ? { ids: b.ids } : { all: true as const })

export const notificationsApi = new Hono<AppEnv>()

notificationsApi.get(
  '/api/v1/notifications',
  own,
  output(200, z.strictObject({ data: z.array(ZNotification), unread: z.number().int() })),
  async (c) => {
    const { items, unread } = await listNotifications(c.var.deps.db, c.var.actor!)
    return c.json({
      data: items.map((n) => ({
        ...n,
        kind: n.kind as z.infer<typeof ZNotification>['kind'],
        readAt: n.readAt?.toISOString() ?? null,
        createdAt: n.createdAt.toISOString(),
      })),
      unread,
    })
  },
)
notificationsApi.post(
  '/api/v1/notifications/read',
  own,
  input('json', ZRead),
  output(200, z.strictObject({ data: z.strictObject({ marked: z.number().int() }) })),
  async (c) =>
    c.json({ data: await markNotificationsRead(c.var.deps.db, c.var.actor!, readWhich(c.req.valid('json'))) }),
)
