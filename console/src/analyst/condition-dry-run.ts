import type { Context } from 'hono'
import { html } from 'hono/html'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { dryRunMatchCondition } from '../../../core/src/domain/matching/dry-run-match-condition.ts'
import { AppError } from '../../../core/src/errors.ts'
import { idParam, readForm } from '../forms.ts'
import { isHtmx } from '../htmx.ts'
import { draftFromForm, inputFromDraft } from '../views/condition-form.ts'
import { conditionPage } from './condition-edit.ts'

/** POST /sources/:id/conditions/dry-run — what the draft would have matched and run in the last 7 days. */
export const conditionDryRun = async (c: Context<AppEnv>) => {
  const sourceId = idParam(c)
  const draft = draftFromForm(await readForm(c))
  let fragment: ReturnType<typeof html>
  let status = 200
  try {
    const r = await dryRunMatchCondition(c.var.deps.db, c.var.actor!, sourceId, inputFromDraft(draft), 7)
    fragment = html`<section class="card dry-run"><h2>Dry run: ${r.incidentsMatched} incident${r.incidentsMatched === 1 ? '' : 's'} matched</h2>
    <p class="muted">${r.alertsMatched} of ${r.alertsEvaluated} alerts of the last 7 days${r.isTruncated ? ' (the first 50,000)' : ''}. Nothing was run.</p>
    <table class="dense small"><thead><tr><th>Incident</th><th>Alerts</th><th>Would run</th></tr></thead><tbody>${r.incidents.map(
      (
        i,
      ) => html`<tr><td><a href="/incidents/${i.incidentId}">#${i.incidentId}</a> ${i.summary}</td><td>${i.alerts}</td>
      <td>${i.responses.map((x) => html`<div>${x.type}: <span class="mono">${x.targets.filter(Boolean).join(', ') || '(the incident)'}</span></div>`)}</td></tr>`,
    )}</tbody></table></section>`
  } catch (err) {
    if (!(err instanceof AppError) || err.code !== 'INVALID_REQUEST') throw err
    fragment = html`<p class="error" role="alert">${err.message}</p>`
    status = 422
  }
  if (isHtmx(c)) return c.html(fragment, status as 200)
  // Without htmx: the editor again, with the result in its place.
  const res = await conditionPage(c, sourceId, undefined, draft, {}, status)
  const body = (await res.text()).replace(
    '<div id="dry-run" aria-live="polite"></div>',
    `<div id="dry-run" aria-live="polite">${fragment}</div>`,
  )
  return c.html(body, status as 200)
}
