import { Hono } from 'hono'
import { z } from 'zod'
import { receiveJsonAlert } from '../../domain/intake/receive-json-alert.ts'
import { AppError } from '../../errors.ts'
import { metrics } from '../../metrics.ts'
import { accepts, output } from '../describe.ts'
import type { AppEnv } from '../env.ts'
import { guard } from '../middleware/auth.ts'
import { readBodyText } from '../read-body.ts'

export const intake = new Hono<AppEnv>()

/**
 * JSON alert intake, authorised by the source token in the URL (any Authorization header is
 * ignored). 200 only after the alert is committed; 413 over CLAWBACK_MAX_BODY_BYTES; 400 naming
 * the field; 404 for an unknown or disabled token.
 */
intake.post(
  '/threat/json_event/events/:token',
  guard({ auth: 'token' }),
  accepts(
    'application/json',
    { type: 'object' },
    'one alert: json_version 1.0 or 2.0, snake_case or camelCase; the raw body is kept verbatim',
  ),
  output(
    200,
    z.strictObject({ status: z.literal('accepted'), alert_id: z.number().int(), incident_id: z.number().int() }),
  ),
  async (c) => {
    const started = performance.now()
    const { db, boss } = c.var.deps
    try {
      const r = await receiveJsonAlert(
        db,
        boss,
        c.req.param('token'),
        await readBodyText(c, c.var.deps.config.maxBodyBytes),
      )
      metrics.intakeAlerts.inc({ source: r.source.name, outcome: 'stored' })
      metrics.intakeSeconds.observe({ source: r.source.name }, (performance.now() - started) / 1000)
      return c.json({ status: 'accepted', alert_id: r.alertId, incident_id: r.incidentId }, 200)
    } catch (err) {
      metrics.intakeAlerts.inc({
        source: 'unknown',
        outcome: err instanceof AppError ? err.code.toLowerCase() : 'error',
      })
      throw err
    }
  },
)
