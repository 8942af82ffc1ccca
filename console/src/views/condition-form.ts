import type { Context } from 'hono'
import { html } from 'hono/html'
import { z } from 'zod'
import { type Condition, FIELDS, type Leaf, OPS } from '../../../core/src/domain/matching/condition-model.ts'
import type { ResponseSpec } from '../../../core/src/domain/matching/match-condition-input.ts'
import { RESPONSE_TYPES, responseTypeOf } from '../../../core/src/domain/responses/response-types.ts'
import { checked, csrfField, type FormBody, one } from '../forms.ts'
import type { Html } from './layout.ts'

export const RULE_ROWS = 6
export const RESPONSE_ROWS = 3

/** What the form edits: a flat "all/any of these rules" tree (each rule may be negated). */
export type ConditionDraft = {
  name: string
  description: string
  combine: 'all' | 'any'
  rules: { not: boolean; field: string; op: string; value: string }[]
  responses: { type: string; params: Record<string, string>; requiresApproval: boolean }[]
  isAutomatic: boolean
  isEnabled: boolean
  continueAfterMatch: boolean
}

type Prop = { type?: string; enum?: string[]; items?: { type?: string }; default?: unknown; description?: string }
const paramProps = (type: string) =>
  Object.entries(
    (
      (responseTypeOf(type) && z.toJSONSchema(responseTypeOf(type)!.params as z.ZodType, { io: 'input' })) as {
        properties?: Record<string, Prop>
      }
    )?.properties ?? {},
  )

/** A stored tree as the form shows it, or undefined when it is nested deeper than the form can (edit via API/import). */
export const draftFromCondition = (c: Condition): Pick<ConditionDraft, 'combine' | 'rules'> | undefined => {
  const leaf = (x: Condition, not = false): ConditionDraft['rules'][number] | undefined => {
    if ('not' in x) return not ? undefined : leaf(x.not, true)
    if (!('field' in x)) return undefined
    const v = (x as Leaf).value
    return { not, field: x.field, op: x.op, value: Array.isArray(v) ? v.join(', ') : v === undefined ? '' : String(v) }
  }
  if (Object.keys(c).length === 0) return { combine: 'all', rules: [] }
  const list = 'all' in c ? c.all : 'any' in c ? c.any : [c]
  const rules = list.map((x) => leaf(x))
  return rules.every(Boolean)
    ? { combine: 'any' in c ? 'any' : 'all', rules: rules as ConditionDraft['rules'] }
    : undefined
}

/** The draft as the API's input (the domain validates it and names the field on error). */
export const inputFromDraft = (d: ConditionDraft) => {
  const leaves = d.rules.map((r): Condition => {
    const value =
      r.op === 'in'
        ? r.value
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : r.op === 'gte' || r.op === 'lte' || r.op === 'in_list'
          ? Number(r.value)
          : r.op === 'exists'
            ? undefined
            : r.value
    const leaf = { field: r.field, op: r.op, ...(value === undefined ? {} : { value }) } as Leaf
    return r.not ? { not: leaf } : leaf
  })
  const condition: Condition = leaves.length === 0 ? {} : d.combine === 'any' ? { any: leaves } : { all: leaves }
  const responses: ResponseSpec[] = d.responses.map((r) => {
    const params: Record<string, unknown> = {}
    for (const [name, p] of paramProps(r.type)) {
      const raw = r.params[name] ?? ''
      if (p.type === 'boolean') params[name] = raw === 'on'
      else if (raw === '') continue
      else if (p.type === 'integer' || p.type === 'number') params[name] = Number(raw)
      else if (p.type === 'array')
        params[name] = raw
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      else params[name] = raw
    }
    return { type: r.type, params, requiresApproval: r.requiresApproval }
  })
  return {
    name: d.name,
    description: d.description,
    condition,
    responses,
    isAutomatic: d.isAutomatic,
    isEnabled: d.isEnabled,
    continueAfterMatch: d.continueAfterMatch,
  }
}

/** Reads the posted form. */
export const draftFromForm = (f: FormBody): ConditionDraft => ({
  name: one(f, 'name'),
  description: one(f, 'description'),
  combine: one(f, 'combine') === 'any' ? 'any' : 'all',
  rules: Array.from({ length: RULE_ROWS }, (_, i) => ({
    not: checked(f, `r${i}.not`),
    field: one(f, `r${i}.field`),
    op: one(f, `r${i}.op`),
    value: one(f, `r${i}.value`),
  })).filter((r) => r.field),
  responses: Array.from({ length: RESPONSE_ROWS }, (_, i) => ({
    type: one(f, `x${i}.type`),
    params: Object.fromEntries(
      Object.entries(f)
        .filter(([k]) => k.startsWith(`x${i}.p.`))
        .map(([k, v]) => [k.slice(`x${i}.p.`.length), (v[0] ?? '').trim()]),
    ),
    requiresApproval: checked(f, `x${i}.approval`),
  })).filter((r) => r.type),
  isAutomatic: checked(f, 'isAutomatic'),
  isEnabled: checked(f, 'isEnabled'),
  continueAfterMatch: checked(f, 'continueAfterMatch'),
})

const select = (name: string, options: readonly string[], value: string, label: string, extra: Html | string = '') =>
  html`<select name="${name}" aria-label="${label}"${extra}><option value="">—</option>${options.map((o) => html`<option${o === value ? html` selected` : ''}>${o}</option>`)}</select>`

/** The parameter fields of one response slot (also served alone when the type changes: htmx). */
export const paramFields = (slot: number, type: string, values: Record<string, string>): Html =>
  html`<div class="params" id="x${slot}-params">${paramProps(type).map(([name, p]) => {
    const field = `x${slot}.p.${name}`
    const v = values[name] ?? (p.default !== undefined && typeof p.default !== 'object' ? String(p.default) : '')
    if (p.enum) return html`<label>${name} ${select(field, p.enum, v, name)}</label>`
    if (p.type === 'boolean')
      return html`<label class="check"><input type="checkbox" name="${field}"${v === 'on' || v === 'true' ? html` checked` : ''}> ${name}</label>`
    return html`<label>${name}${p.type === 'array' ? ' (comma-separated)' : ''} <input name="${field}" value="${v}"${p.type === 'integer' ? html` inputmode="numeric"` : ''}></label>`
  })}</div>`

/** The whole editor: rules, responses, switches, Save and Dry run. */
export const conditionForm = (c: Context, action: string, dryRunAction: string, d: ConditionDraft): Html => {
  const rules = [
    ...d.rules,
    ...Array.from({ length: Math.max(0, RULE_ROWS - d.rules.length) }, () => ({
      not: false,
      field: '',
      op: 'eq',
      value: '',
    })),
  ]
  const responses = [
    ...d.responses,
    ...Array.from({ length: Math.max(0, RESPONSE_ROWS - d.responses.length) }, () => ({
      type: '',
      params: {},
      requiresApproval: false,
    })),
  ]
  return html`<form method="post" action="${action}" class="compact condition-form">${csrfField(c)}
  <label>Name <input name="name" value="${d.name}" required maxlength="200"></label>
  <label>Description <input name="description" value="${d.description}" maxlength="10000"></label>
  <fieldset><legend>Match when ${select('combine', ['all', 'any'], d.combine, 'all or any')} of these rules hold (empty rows are ignored; no rules matches every alert)</legend>
  <table class="dense"><thead><tr><th>not</th><th>field</th><th>operator</th><th>value</th></tr></thead><tbody>
  ${rules.map(
    (
      r,
      i,
    ) => html`<tr><td><input type="checkbox" name="r${i}.not" aria-label="not (rule ${i + 1})"${r.not ? html` checked` : ''}></td>
    <td>${select(`r${i}.field`, Object.keys(FIELDS), r.field, `field (rule ${i + 1})`)}</td>
    <td>${select(`r${i}.op`, OPS, r.op, `operator (rule ${i + 1})`)}</td>
    <td><input name="r${i}.value" value="${r.value}" aria-label="value (rule ${i + 1})" placeholder="value; in: a, b; in_list: list id"></td></tr>`,
  )}</tbody></table></fieldset>
  <fieldset><legend>Responses</legend>
  ${responses.map(
    (r, i) => html`<div class="response-slot"><label>Response ${i + 1} ${select(
      `x${i}.type`,
      RESPONSE_TYPES.map((t) => t.type),
      r.type,
      `response ${i + 1}`,
      html` hx-get="/match-conditions/params" hx-include="this" hx-vals='{"slot":"${i}"}' hx-target="#x${i}-params" hx-swap="outerHTML"`,
    )}</label>
    <label class="check"><input type="checkbox" name="x${i}.approval"${r.requiresApproval ? html` checked` : ''}> needs a second person's approval</label>
    ${paramFields(i, r.type, r.params)}</div>`,
  )}</fieldset>
  <label class="check"><input type="checkbox" name="isAutomatic"${d.isAutomatic ? html` checked` : ''}> Run the responses automatically (otherwise they are offered as buttons on the incident)</label>
  <label class="check"><input type="checkbox" name="continueAfterMatch"${d.continueAfterMatch ? html` checked` : ''}> Continue with later conditions after a match</label>
  <label class="check"><input type="checkbox" name="isEnabled"${d.isEnabled ? html` checked` : ''}> Enabled</label>
  <div class="actions"><button class="primary">Save condition</button>
  <button formaction="${dryRunAction}" hx-post="${dryRunAction}" hx-target="#dry-run" hx-swap="innerHTML">Dry run (last 7 days)</button></div>
  </form><div id="dry-run" aria-live="polite"></div>`
}
