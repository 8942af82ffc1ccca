import { Hono } from 'hono'
import { createMiddleware } from 'hono/factory'
import { getIntakeBacklog } from '../../domain/intake/get-intake-backlog.ts'
import { metrics, renderMetrics } from '../../metrics.ts'
import type { AppEnv } from '../env.ts'
import { guard } from '../middleware/auth.ts'

/** Times every request by its matched route pattern (never the raw path, so labels stay bounded). */
export const httpMetrics = createMiddleware<AppEnv>(async (c, next) => {
  const started = performance.now()
  try {
    await next()
  } finally {
    const route = c.req.matchedRoutes.filter((r) => r.method !== 'ALL').at(-1)?.path ?? 'unmatched'
    metrics.httpSeconds.observe(
      { method: c.req.method, route, status: `${String(c.res.status)[0]}xx` },
      (performance.now() - started) / 1000,
    )
  }
})

export const metricsApi = new Hono<AppEnv>()

/**
 * Prometheus text format: intake counts/latency by source, group-commit batch durations, the intake
 * backlog (alerts acknowledged but not linked yet, and the age of the oldest), job queue
 * depths (queued/active/failed per queue), HTTP latency by route. Needs an actor with
 * `system.manage` (an API key of a team holding it, sent raw in Authorization as a bearer token
 * — Prometheus `authorization: credentials` works).
 */
metricsApi.get('/metrics', guard({ auth: 'actor', permission: 'system.manage' }), async (c) => {
  const queues = await c.var.deps.boss.getQueues()
  const lines = ['# HELP clawback_job_queue_jobs Jobs per queue and state', '# TYPE clawback_job_queue_jobs gauge']
  for (const q of queues) {
    lines.push(`clawback_job_queue_jobs{queue="${q.name}",state="queued"} ${q.queuedCount}`)
    lines.push(`clawback_job_queue_jobs{queue="${q.name}",state="active"} ${q.activeCount}`)
    lines.push(`clawback_job_queue_jobs{queue="${q.name}",state="failed"} ${q.failedCount}`)
  }
  const backlog = await getIntakeBacklog(c.var.deps.db)
  lines.push(
    '# HELP clawback_intake_backlog_alerts Alerts acknowledged and waiting in the intake log to be linked',
    '# TYPE clawback_intake_backlog_alerts gauge',
    `clawback_intake_backlog_alerts ${backlog.alerts}`,
    '# HELP clawback_intake_backlog_oldest_seconds How long the oldest alert of the intake log has waited (current visibility lag)',
    '# TYPE clawback_intake_backlog_oldest_seconds gauge',
    `clawback_intake_backlog_oldest_seconds ${backlog.oldestSeconds}`,
    '# HELP clawback_intake_failed_alerts Intake log rows the linker set aside (intake_failed) because they cannot be linked',
    '# TYPE clawback_intake_failed_alerts gauge',
    `clawback_intake_failed_alerts ${backlog.failed}`,
  )
  return c.body(renderMetrics([lines.join('\n')]), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' })
})
