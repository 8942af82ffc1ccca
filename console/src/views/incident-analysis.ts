import { html } from 'hono/html'
import type { listAnalyses } from '../../../core/src/domain/analysis/list-analyses.ts'
import { when } from '../forms.ts'

type Verdict = Awaited<ReturnType<typeof listAnalyses>>[number]
const BADGE: Record<string, string> = { malicious: 'bad', suspicious: 'warn', spam: 'warn', bulk: '', clean: 'ok' }
const LABEL: Record<string, string> = {
  malicious: 'Malicious',
  suspicious: 'Suspicious',
  spam: 'Spam',
  bulk: 'Bulk',
  clean: 'Clean',
}

/** The incident page's Analysis card: the latest verdict with its reasons, earlier verdicts below. */
export const analysisSection = (verdicts: Verdict[]) => {
  const [v, ...earlier] = verdicts
  if (!v) return ''
  return html`<section class="card" id="incident-analysis"><h2>Analysis <span class="badge ${BADGE[v.disposition] ?? ''}">${LABEL[v.disposition] ?? v.disposition}</span> <span class="count">score ${v.score}</span></h2>
  <p class="muted small">${when(v.createdAt)} · original ${v.format} from <span class="mono">${v.sender ?? '—'}</span>: ${v.subject}${
    v.setDisposition === null ? html` · the analyst's disposition was kept` : ''
  }</p>
  ${
    v.reasons.length
      ? html`<table class="dense small"><thead><tr><th>Points</th><th>Reason</th></tr></thead><tbody>${v.reasons.map(
          (r) => html`<tr><td class="nowrap">+${r.points}</td><td>${r.detail}</td></tr>`,
        )}</tbody></table>`
      : html`<p class="empty">No rule fired.</p>`
  }
  ${
    earlier.length
      ? html`<h3>Earlier verdicts</h3><ol class="timeline small">${earlier.map((e) => html`<li><span class="muted">${when(e.createdAt)}</span> ${LABEL[e.disposition] ?? e.disposition} (score ${e.score})</li>`)}</ol>`
      : ''
  }</section>`
}
