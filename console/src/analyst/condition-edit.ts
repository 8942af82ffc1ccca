import type { Context } from 'hono'
import { html } from 'hono/html'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { getMatchCondition } from '../../../core/src/domain/matching/get-match-condition.ts'
import { assertCan } from '../../../core/src/policy/index.ts'
import { type FormErrors, formError, idParam } from '../forms.ts'
import { type ConditionDraft, conditionForm, draftFromCondition } from '../views/condition-form.ts'
import { page } from '../views/layout.ts'

const EMPTY: ConditionDraft = {
  name: '',
  description: '',
  combine: 'all',
  rules: [],
  responses: [],
  isAutomatic: false,
  isEnabled: false,
  continueAfterMatch: false,
}

/** The editor page for a new (conditionId undefined) or stored condition; re-rendered with the draft on 422. */
export const conditionPage = (
  c: Context<AppEnv>,
  sourceId: number,
  conditionId: number | undefined,
  draft: ConditionDraft,
  errors: FormErrors = {},
  status = 200,
) =>
  page(
    c,
    conditionId ? `Condition ${draft.name}` : 'New match condition',
    html`<p class="crumbs"><a href="/sources/${sourceId}/conditions">Match conditions</a> › ${conditionId ? draft.name : 'New'}</p>
<h1>${conditionId ? draft.name : 'New match condition'}</h1>${formError(errors)}
${conditionForm(c, conditionId ? `/match-conditions/${conditionId}` : `/sources/${sourceId}/conditions`, `/sources/${sourceId}/conditions/dry-run`, draft)}`,
    status,
  )

/** GET /sources/:id/conditions/new */
export const conditionNew = (c: Context<AppEnv>) => {
  assertCan(c.var.actor!, 'sources.write')
  return conditionPage(c, idParam(c), undefined, EMPTY)
}

/** GET /match-conditions/:id */
export const conditionEdit = async (c: Context<AppEnv>) => {
  const m = await getMatchCondition(c.var.deps.db, c.var.actor!, idParam(c))
  const tree = draftFromCondition(m.condition)
  const draft: ConditionDraft = {
    ...EMPTY,
    ...m,
    combine: tree?.combine ?? 'all',
    rules: tree?.rules ?? [],
    responses: m.responses.map((r) => ({
      type: r.type,
      requiresApproval: r.requiresApproval,
      params: Object.fromEntries(
        Object.entries(r.params).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v === true ? 'on' : String(v)]),
      ),
    })),
  }
  const errors: FormErrors = tree
    ? {}
    : {
        _: 'This condition is nested deeper than the form shows; saving here replaces it with the rules below. Edit it through the API or an import instead.',
      }
  return conditionPage(c, m.sourceId!, m.id, draft, errors)
}
