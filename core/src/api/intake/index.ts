import { Hono } from 'hono'
import { z } from 'zod'
import { receiveJsonAlert } from '../../domain/intake/receive-json-alert.ts'
import { waitLinked } from '../../domain/intake/wait-linked.ts'
import { AppError } from '../../errors.ts'
import { metrics } from '../../metrics.ts'
import { accepts, output } from '../describe.ts'
import type { AppEnv } from '../env.ts'
import { guard } from '../middleware/auth.ts'
import { readBodyText } from '../read-body.ts'
import { input } from '../validate.ts'

export const intake = new Hono<AppEnv>()

/**
 * JSON alert intake, authorised by the source token in the URL (any Authorization header is
 * ignored). 200 only after the alert is committed to the durable intake log (group commit), with
 * its `alert_id`; the linker puts it into an incident moments later. `?wait=<seconds>` (1..30)
 * waits for that and adds `incident_id` when it is linked in time (without it, or past the wait,
 * the answer has no `incident_id`; the incident is found by message-id like any other).
 * 413 over CLAWBACK_MAX_BODY_BYTES; 400 naming the field; 404 for an unknown or disabled token.
 */
intake.post(
  '/threat/json_event/events/:token',
  guard({ auth: 'token' }),
  accepts(
    'application/json',
    { type: 'object' },
    'one alert: json_version 1.0 or 2.0, snake_case or camelCase; the raw body is kept verbatim',
  ),
  input(
    'query',
    z.object({
      wait: z
        .string()
        .regex(/^\d{1,2}$/, 'expected seconds, 1 to 30')
        .optional(),
    }),
  ),
  output(
    200,
    z.strictObject({
      status: z.literal('accepted'),
      alert_id: z.number().int(),
      incident_id: z.number().int().optional(),
    }),
  ),
  async (c) => {
    const wait = Math.min(Number(c.req.valid('query').wait ?? 0), 30)
    const started = performance.now()
    const { db } = c.var.deps
    try {
      const r = await receiveJsonAlert(db, c.req.param('token'), await readBodyText(c, c.var.deps.config.maxBodyBytes))
      metrics.intakeAlerts.inc({ source: r.source.name, outcome: 'stored' })
      metrics.intakeSeconds.observe({ source: r.source.name }, (performance.now() - started) / 1000)
      const incidentId = wait > 0 ? await waitLinked(db, r.alertId, wait * 1000) : null
      return c.json(
        { status: 'accepted', alert_id: r.alertId, ...(incidentId ? { incident_id: incidentId } : {}) },
        200,
      )
    } catch (err) {
      metrics.intakeAlerts.inc({
        source: 'unknown',
        outcome: err instanceof AppError ? err.code.toLowerCase() : 'error',
      })
      throw err
    }
  },
)
