import { z } from 'zod'
import { AppError } from '../../errors.ts'
import { parseOr400 } from '../../validation/parse-input.ts'
import { responseTypeOf } from '../responses/response-types.ts'
import { conditionDepth, ZCondition } from './condition-model.ts'

export const ZResponseSpec = z.strictObject({
  type: z.string().min(1).max(100),
  params: z.record(z.string(), z.unknown()).default({}),
  requiresApproval: z.boolean().default(false).meta({ description: 'two-person approval before it runs' }),
})
export type ResponseSpec = z.infer<typeof ZResponseSpec>

const fields = {
  name: z.string().trim().min(1).max(200),
  description: z.string().max(10_000),
  condition: ZCondition,
  responses: z.array(ZResponseSpec).max(20),
  isAutomatic: z.boolean().meta({ description: 'run the responses at once; otherwise offer them as buttons' }),
  isEnabled: z.boolean(),
  continueAfterMatch: z.boolean().meta({ description: 'evaluate later conditions too (default: first match wins)' }),
  position: z.number().int().min(0).max(100_000),
}
export const ZMatchConditionInput = z.strictObject({
  ...fields,
  description: fields.description.default(''),
  responses: fields.responses.default([]),
  isAutomatic: fields.isAutomatic.default(false),
  isEnabled: fields.isEnabled.default(false),
  continueAfterMatch: fields.continueAfterMatch.default(false),
  position: fields.position.optional(),
})
/** A change: any subset of the fields, nothing defaulted (an omitted field keeps its value). */
export const ZMatchConditionPatch = z.strictObject(fields).partial()
export type MatchConditionInput = z.infer<typeof ZMatchConditionInput>

/**
 * Validates a match condition as a whole: the tree (≤ 12 levels), and every response's params
 * with its type's own schema — errors name the place (`responses.1.params.listId: ...`).
 * @throws AppError INVALID_REQUEST
 */
export function parseMatchConditionInput(raw: unknown): MatchConditionInput
export function parseMatchConditionInput(raw: unknown, partial: true): Partial<MatchConditionInput>
export function parseMatchConditionInput(raw: unknown, partial = false): Partial<MatchConditionInput> {
  const input: Partial<MatchConditionInput> = parseOr400(
    partial ? ZMatchConditionInput.partial() : ZMatchConditionInput,
    raw,
  )
  if (input.condition && conditionDepth(input.condition) > 12)
    throw new AppError('INVALID_REQUEST', 'condition: nested more than 12 levels')
  const responses = input.responses?.map((r, i) => {
    const type = responseTypeOf(r.type)
    if (!type) throw new AppError('INVALID_REQUEST', `responses.${i}.type: unknown response type`)
    return {
      ...r,
      params: parseOr400(type.params, r.params, 'params', `responses.${i}.params`) as Record<string, unknown>,
    }
  })
  return { ...input, ...(responses ? { responses } : {}) }
}
