import type { Context } from 'hono'
import { html } from 'hono/html'
import { canEditHostSettings } from '../../../appliance/src/system/set-host-settings.ts'
import { systemHealth } from '../../../appliance/src/system/system-health.ts'
import { readTimeAndLogging } from '../../../appliance/src/system/time-and-logging.ts'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { getIntakeBacklog } from '../../../core/src/domain/intake/get-intake-backlog.ts'
import { recentErrors } from '../../../core/src/log.ts'
import { metrics } from '../../../core/src/metrics.ts'
import { bytes, consolePage, csrfField, notice } from './view.ts'

const dur = (s: number) =>
  `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h ${Math.floor((s % 3600) / 60)}m`

/** GET /system — health, queues and dead letters (retry buttons), version, network (read-only in a checkout). */
export const systemPage = async (c: Context<AppEnv>, message?: string) => {
  const h = await systemHealth(c.var.deps.db, c.var.actor!, c.var.deps.config.roles, c.var.deps.boss)
  const tl = readTimeAndLogging(c.var.deps.config.root)
  const backlog = await getIntakeBacklog(c.var.deps.db)
  const lagP99 = metrics.intakeLag.quantile({}, 0.99)
  return consolePage(
    c,
    'System',
    html`<section class="card"><h1>System</h1>${notice(message)}
  <table id="health"><tr><th>Version</th><td>${h.version}</td></tr><tr><th>Host</th><td>${h.hostname}</td></tr><tr><th>Uptime</th><td>${dur(h.uptimeSeconds)}</td></tr>
  <tr><th>Load (1/5/15 min)</th><td>${h.load.join(' / ')} on ${h.cpu.cores} cores (${h.cpu.model}), ${h.cpu.busyPercent}% busy</td></tr>
  <tr><th>Memory</th><td>${bytes(h.memory.used)} used of ${bytes(h.memory.total)}; ${bytes(h.memory.available)} available</td></tr>
  <tr><th>PostgreSQL</th><td>${h.postgres.version}; ${bytes(h.postgres.sizeBytes)}; ${h.postgres.connections} of ${h.postgres.maxConnections} connections</td></tr>
  <tr><th>Roles in this process</th><td>${h.roles.map((r) => html`<span class="badge">${r.name}: ${r.isRunning ? 'running' : 'not here'}</span> `)}</td></tr>
  <tr><th>Time</th><td>${h.time.now} (${h.time.timezone})</td></tr>
  <tr id="intake-lag"><th>Intake</th><td>${backlog.alerts} alerts waiting to be linked${backlog.alerts ? html` (oldest ${backlog.oldestSeconds.toFixed(1)} s)` : ''}; visibility lag p99 ${lagP99 === null ? 'n/a (nothing linked by this process yet)' : `≤ ${lagP99} s`}${backlog.failed ? html`; <span class="badge warn">${backlog.failed} set aside in intake_failed</span>` : ''}</td></tr></table>
  <h2>Processes (every node)</h2><table id="processes"><tr><th>Roles</th><th>Host</th><th>PID</th><th>Status</th><th>Started</th><th>Last heartbeat</th></tr>
  ${h.processes.map((p) => html`<tr><td>${p.roles}</td><td class="mono">${p.host}</td><td>${p.pid}</td><td>${p.live ? html`<span class="badge">live</span>` : html`<span class="badge warn">quiet</span>`}</td><td>${p.startedOn.toISOString()}</td><td>${p.heartbeatOn.toISOString()}</td></tr>`)}
  ${h.processes.length === 0 ? html`<tr><td colspan="6" class="muted">None registered.</td></tr>` : ''}</table>
  <h2>Disks</h2><table><tr><th>Mount</th><th>Device</th><th>Size</th><th>Used</th></tr>
  ${h.disks.map((d) => html`<tr><td>${d.mount}</td><td class="mono">${d.fs}</td><td>${bytes(d.size)}</td><td>${bytes(d.used)} (${d.usePercent}%)</td></tr>`)}</table></section>
<section class="card"><h2>Job queues</h2><table id="queues"><tr><th>Queue</th><th>Queued</th><th>Active</th><th>Failed</th><th>Dead letter</th></tr>
  ${h.queues.map((q) => html`<tr><td class="mono">${q.name}</td><td>${q.queued}</td><td>${q.active}</td><td>${q.failed}</td><td class="mono">${q.deadLetter ?? ''}</td></tr>`)}</table>
  <h2>Failed jobs and dead letters (recent errors)</h2><table id="failed"><tr><th>Queue</th><th>State</th><th>Error</th><th>When</th><th></th></tr>
  ${h.failedJobs.map(
    (
      j,
    ) => html`<tr><td class="mono">${j.queue}</td><td>${j.isDeadLetter ? 'dead letter' : j.state}</td><td class="mono">${JSON.stringify(j.error ?? '').slice(0, 300)}</td><td>${j.createdAt.toISOString()}</td>
    <td><form method="post" action="/system/jobs/${j.queue}/${j.id}/retry">${csrfField(c)}<button>Retry</button></form></td></tr>`,
  )}
  ${h.failedJobs.length === 0 ? html`<tr><td colspan="5" class="muted">None.</td></tr>` : ''}</table></section>
<section class="card"><h2>Recent errors in this process</h2><table id="errors"><tr><th>When</th><th>Message</th><th>Error</th><th>Request</th></tr>
  ${recentErrors().map((e) => html`<tr><td class="nowrap">${e.at}</td><td>${e.message}</td><td class="mono">${e.error ?? ''}</td><td class="mono">${e.requestId ?? ''}</td></tr>`)}
  ${recentErrors().length === 0 ? html`<tr><td colspan="4" class="muted">None since this process started (the journal keeps the full log).</td></tr>` : ''}</table></section>
<section class="card"><h2>Network</h2><p class="muted">As the host reports it now. ${canEditHostSettings(c.var.deps.config) ? html`Change host name, addresses, NTP and syslog forwarding under <a href="/host">Host settings</a>.` : html`In a checkout they belong to the machine and are shown read-only (<a href="/host">Host settings</a>).`}</p>
  <table>${h.network.map((n) => html`<tr><td>${n.iface}</td><td class="mono">${n.address}</td><td>${n.family}</td></tr>`)}</table>
  <h2>Time sources (NTP)</h2><table id="ntp">${tl.ntp.map((n) => html`<tr><td class="mono">${n.servers.join(' ')}</td><td class="muted">${n.source}</td></tr>`)}
  ${tl.ntp.length === 0 ? html`<tr><td class="muted">None configured on this host.</td></tr>` : ''}</table>
  <h2>Syslog forwarding</h2><table id="syslog">${tl.syslogForwarding.map((s) => html`<tr><td class="mono">${s.target}</td><td class="muted">${s.source}</td></tr>`)}
  ${tl.syslogForwarding.length === 0 ? html`<tr><td class="muted">Not forwarding (logs stay in the journal).</td></tr>` : ''}</table></section>`,
  )
}
