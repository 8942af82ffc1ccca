import { html } from 'hono/html'
import type { listIncidentReporters } from '../../../core/src/domain/abuse/list-incident-reporters.ts'
import { when } from '../forms.ts'

type Reporter = Awaited<ReturnType<typeof listIncidentReporters>>[number]

/** The incident page's Reporters card: who reported the message to which abuse mailbox, with both downloads. */
export const reportersSection = (reporters: Reporter[]) => {
  if (reporters.length === 0) return ''
  return html`<section class="card" id="incident-reporters"><h2>Reporters <span class="count">${reporters.length}</span></h2>
  <table class="dense small"><thead><tr><th>Reporter</th><th>Reported</th><th>Mailbox</th><th>Original</th><th>Downloads</th></tr></thead><tbody>${reporters.map(
    (r) =>
      html`<tr><td><span class="mono">${r.reporter || '—'}</span>${r.reporterName ? html` <span class="muted">${r.reporterName}</span>` : ''}</td><td class="nowrap">${when(new Date(r.reportedAt ?? r.receivedAt))}</td><td>${r.source}</td><td>${r.originalFormat}</td><td class="nowrap"><a href="/api/v1/abuse-reports/${r.id}/report" download>report</a> · <a href="/api/v1/abuse-reports/${r.id}/original" download>original</a></td></tr>`,
  )}</tbody></table></section>`
}
