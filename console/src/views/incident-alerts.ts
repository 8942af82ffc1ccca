import { html } from 'hono/html'
import type { AlertWithEmails } from '../../../core/src/domain/incidents/list-incident-alerts.ts'
import { when } from '../forms.ts'
import { severityBadge } from './incident-bits.ts'

type Attachment = {
  name?: unknown
  filename?: unknown
  size?: unknown
  sha256?: unknown
  md5?: unknown
  content_type?: unknown
}
const str = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v))
const hostsOf = (v: unknown) =>
  Array.isArray(v) ? v.map((x) => (x && typeof x === 'object' ? Object.values(x).map(str).join(' ') : str(x))) : []

/**
 * The alerts of an incident with their emails. Everything here came from outside (senders,
 * subjects, URLs, attachment names), so it is only ever text: URLs are shown, never linked, and
 * the original message is a download (Content-Disposition: attachment), never rendered.
 * The first few alerts are open; the rest fold so a 500-alert incident stays usable.
 */
export const alertCards = (alerts: AlertWithEmails[], first = 0) =>
  html`${alerts.map(
    (a, j) => html`<details class="alert"${first + j < 3 ? html` open` : ''}>
  <summary><span class="mono muted">#${a.id}</span> ${severityBadge(a.severity)} <b>${a.summary || a.classification}</b>
    <span class="muted">· ${a.source ?? ''} · ${a.classification} · ${when(a.receivedAt)}</span>${a.isFalsePositive ? html` <span class="badge">false positive</span>` : ''}</summary>
  ${a.description ? html`<div class="text">${a.description}</div>` : ''}
  <dl class="facts small">
    ${hostsOf(a.attackers).length ? html`<dt>Attackers</dt><dd class="mono">${hostsOf(a.attackers).join(', ')}</dd>` : ''}
    ${hostsOf(a.targets).length ? html`<dt>Targets</dt><dd class="mono">${hostsOf(a.targets).join(', ')}</dd>` : ''}
    ${Object.keys((a.threatInfo as object) ?? {}).length ? html`<dt>Threat</dt><dd class="mono">${str(a.threatInfo)}</dd>` : ''}
  </dl>
  ${a.emails.map(
    (e) => html`<div class="email">
    <dl class="facts small">
      <dt>From</dt><dd class="mono">${e.sender}</dd>
      <dt>To</dt><dd class="mono">${e.recipients.join(', ')}</dd>
      <dt>Subject</dt><dd>${e.subject}</dd>
      <dt>Message-ID</dt><dd class="mono">${e.messageId ?? ''}</dd>
      <dt>Delivered</dt><dd>${when(e.deliveredAt) || '—'}</dd>
      ${e.urls.length ? html`<dt>URLs</dt><dd><ul class="plain mono">${e.urls.map((u) => html`<li>${u}</li>`)}</ul></dd>` : ''}
      ${
        (e.attachments as Attachment[]).length
          ? html`<dt>Attachments</dt><dd><ul class="plain">${(e.attachments as Attachment[]).map(
              (f) =>
                html`<li>${str(f.name ?? f.filename)} <span class="muted">${str(f.content_type)} ${str(f.size)}${f.size ? ' B' : ''}</span><br><span class="mono small">sha256 ${str(f.sha256)}${f.md5 ? html` · md5 ${str(f.md5)}` : ''}</span></li>`,
            )}</ul></dd>`
          : ''
      }
    </dl>${e.isAbuseCopy ? html`<span class="badge">abuse report copy</span>` : ''}</div>`,
  )}
  ${a.hasOriginal ? html`<p><a href="/alerts/${a.id}/original" download>Download original message (.eml)</a></p>` : ''}
</details>`,
  )}`

/**
 * The alerts section body: the alerts loaded with the page, then a button that fetches the next
 * page of alerts with htmx (and replaces itself with them), until all are shown.
 */
export const alertSection = (incidentId: number, alerts: AlertWithEmails[], total: number, offset = 0) =>
  total === 0
    ? html`<p class="empty">No alerts.</p>`
    : html`${alertCards(alerts, offset)}${
        offset + alerts.length < total
          ? html`<button class="more" hx-get="/incidents/${incidentId}/alerts?offset=${offset + alerts.length}" hx-swap="outerHTML" hx-target="this">Show ${Math.min(ALERT_PAGE, total - offset - alerts.length)} more of ${total - offset - alerts.length} remaining alerts</button>`
          : ''
      }`

export const ALERT_PAGE = 100
