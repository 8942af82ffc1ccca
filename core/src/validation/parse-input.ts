import type { z } from 'zod'
import { AppError } from '../errors.ts'

/**
 * The one way any layer (routes, pages, domain, appliance) turns input into typed data: the first
 * schema issue becomes AppError INVALID_REQUEST naming the field (`prefix.path`, or `where` when
 * the issue is about the whole value) — never echoing the submitted value.
 */
export const parseOr400 = <S extends z.ZodType>(schema: S, value: unknown, where = 'body', prefix = ''): z.infer<S> => {
  const parsed = schema.safeParse(value)
  if (!parsed.success) {
    const [issue] = parsed.error.issues
    const path = issue && issue.path.length > 0 ? issue.path.join('.') : ''
    const at = path ? (prefix ? `${prefix}.${path}` : path) : prefix || where
    throw new AppError('INVALID_REQUEST', `${at}: ${issue?.message ?? 'invalid'}`)
  }
  return parsed.data
}
