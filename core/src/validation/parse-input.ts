import type { z } from 'zod'
import { AppError } from '../errors.ts'
import { findUnstorable } from '../storable.ts'

/**
 * The one way any layer (routes, pages, domain, appliance) turns input into typed data. Every
 * string and key is checked first (storable.ts: no NUL, no unpaired surrogate, nesting ≤ 32), so a
 * route inherits that whatever its schema says; then the first schema issue becomes AppError
 * INVALID_REQUEST naming the field (`prefix.path`, or `where` when the issue is about the whole
 * value) — never echoing the submitted value.
 */
export const parseOr400 = <S extends z.ZodType>(schema: S, value: unknown, where = 'body', prefix = ''): z.infer<S> => {
  const unstorable = findUnstorable(value, '')
  if (unstorable) {
    const at = unstorable.at ? (prefix ? `${prefix}.${unstorable.at}` : unstorable.at) : prefix || where
    throw new AppError('INVALID_REQUEST', `${at}: ${unstorable.message}`)
  }
  const parsed = schema.safeParse(value)
  if (!parsed.success) {
    const [issue] = parsed.error.issues
    const path = issue && issue.path.length > 0 ? issue.path.join('.') : ''
    const at = path ? (prefix ? `${prefix}.${path}` : path) : prefix || where
    throw new AppError('INVALID_REQUEST', `${at}: ${issue?.message ?? 'invalid'}`)
  }
  return parsed.data
}
