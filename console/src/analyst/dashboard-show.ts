import type { Context } from 'hono'
import { html } from 'hono/html'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { getDashboard } from '../../../core/src/domain/dashboard/get-dashboard.ts'
import { duration, when } from '../forms.ts'
import { dailyChart, rankChart } from '../views/charts.ts'
import { page } from '../views/layout.ts'

const WINDOWS = [7, 14, 30, 90]

/** GET /dashboard?days=N: the SOC lead's KPIs over the last N days, as numbers and inline SVG. */
export const dashboardShow = async (c: Context<AppEnv>) => {
  const asked = Number(c.req.query('days') ?? 14)
  const days = WINDOWS.includes(asked) ? asked : 14
  const d = await getDashboard(c.var.deps.db, c.var.actor!, { days })
  const kpi = (label: string, value: string | number, note = '', cls = '') =>
    html`<div class="kpi ${cls}"><span class="kpi-label">${label}</span><span class="kpi-value">${value}</span><span class="kpi-note">${note}</span></div>`
  return page(
    c,
    'Dashboard',
    html`<div class="toolbar"><h1>Dashboard</h1>
  <nav class="segmented" aria-label="Period">${WINDOWS.map((w) => html`<a href="/dashboard?days=${w}"${w === days ? html` aria-current="page"` : ''}>${w} days</a>`)}</nav>
  <span class="muted small">since ${when(d.since).slice(0, 10)} (UTC)</span></div>
<section class="kpis">
  ${kpi('Opened', d.opened, `${days} days`)}
  ${kpi('Closed', d.closed, `${days} days`)}
  ${kpi('Unprocessed', d.unprocessed, 'state New', d.unprocessed > 0 ? 'warn' : '')}
  ${kpi('Slow', d.slow, `unresolved > ${d.slowHours} h`, d.slow > 0 ? 'bad' : '')}
  ${kpi('Time to first action', duration(d.firstAction.median), `median · p90 ${duration(d.firstAction.p90)} · n=${d.firstAction.count}`)}
  ${kpi('Time to close', duration(d.toClose.median), `median · p90 ${duration(d.toClose.p90)} · n=${d.toClose.count}`)}
</section>
<div class="grid wide-left">
  <section class="card"><h2>Opened and closed per day</h2>
    <p class="legend"><span class="swatch opened"></span> opened <span class="swatch closed"></span> closed</p>
    ${dailyChart(d.days)}
  </section>
  <section class="card"><h2>Oldest unresolved <span class="count">${d.unresolved} open</span></h2>
    ${
      d.oldest.length
        ? html`<table class="dense"><tbody>${d.oldest.map(
            (o) =>
              html`<tr><td class="mono"><a href="/incidents/${o.id}">#${o.id}</a></td><td><a href="/incidents/${o.id}">${o.summary || '(no summary)'}</a></td><td><span class="badge">${o.state}</span></td><td class="muted nowrap">${duration((Date.now() - o.createdAt.getTime()) / 1000)}</td></tr>`,
          )}</tbody></table>`
        : html`<p class="empty">Nothing is waiting longer than ${d.slowHours} h.</p>`
    }
  </section>
</div>
<div class="grid four">
  <section class="card"><h2>Top targeted users</h2>${rankChart('Top targeted users', d.topUsers)}</section>
  <section class="card"><h2>Top departments</h2>${rankChart('Top targeted departments', d.topDepartments)}</section>
  <section class="card"><h2>Top sources</h2>${rankChart('Top sources', d.topSources)}</section>
  <section class="card"><h2>Top classifications</h2>${rankChart('Top classifications', d.topClassifications)}</section>
</div>`,
  )
}
