import type { Context } from 'hono'
import { html } from 'hono/html'
import type { listResponseRuns } from '../../../core/src/domain/responses/list-response-runs.ts'
import { csrfField, when } from '../forms.ts'

type Run = Awaited<ReturnType<typeof listResponseRuns>>[number]
const BADGE: Record<string, string> = { succeeded: 'ok', partial: 'warn', failed: 'bad', rejected: 'bad' }

/** The buttons a run offers the viewer: run an offered one, approve/reject, undo. */
const actions = (c: Context, r: Run, canRun: boolean) => {
  if (!canRun || !r.canRun) return ''
  const button = (act: string, label: string, cls = '') =>
    html`<form method="post" action="/response-runs/${r.id}/${act}" class="inline">${csrfField(c)}<button class="${cls}">${label}</button></form>`
  if (r.status === 'offered') return button('press', 'Run', 'primary')
  if (r.status === 'awaiting_approval')
    return html`${button('approve', 'Approve', 'primary')} ${button('reject', 'Reject')}`
  if (r.canUndo) return button('undo', 'Undo')
  return ''
}

/** The incident page's Responses card: every run with its state, outcome, error and buttons. */
export const responsesSection = (c: Context, runs: Run[], canRun: boolean) =>
  html`<section class="card" id="responses"><h2>Responses <span class="count">${runs.length}</span></h2>
  ${
    runs.length
      ? html`<table class="dense small"><thead><tr><th>Response</th><th>Target</th><th>State</th><th>When</th><th></th></tr></thead><tbody>${runs.map(
          (
            r,
          ) => html`<tr data-run="${r.id}"><td>${r.title}${r.matchConditionId ? html` <span class="muted">(condition ${r.matchConditionId})</span>` : ''}</td>
          <td class="mono">${r.target || '—'}</td>
          <td><span class="badge ${BADGE[r.status] ?? ''}">${r.status.replace('_', ' ')}</span>${r.error ? html`<div class="error small">${r.error}</div>` : ''}${
            r.status === 'partial' && Array.isArray(r.result?.rejected)
              ? html`<div class="muted small">refused: ${(r.result!.rejected as { address: string }[]).map((x) => x.address).join(', ')}</div>`
              : ''
          }</td>
          <td class="nowrap muted">${when(r.finishedAt ?? r.createdAt)}</td><td>${actions(c, r, canRun)}</td></tr>`,
        )}</tbody></table>`
      : html`<p class="empty">No responses yet.</p>`
  }</section>`
