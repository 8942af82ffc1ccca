import type { ValidationTargets } from 'hono'
import { createMiddleware } from 'hono/factory'
import { validator } from 'hono/validator'
import type { z } from 'zod'
import { AppError } from '../errors.ts'
import { parseOr400 } from '../validation/parse-input.ts'
import { describe } from './describe.ts'
import type { AppEnv } from './env.ts'

export { parseOr400 }

/**
 * Parses request input with a zod schema; the first issue becomes one 400 naming the field (never
 * echoing the value). The schema travels with the middleware: the OpenAPI document describes the
 * request from exactly the schema that parses it.
 */
export const input = <T extends keyof ValidationTargets, S extends z.ZodType>(target: T, schema: S) =>
  describe(
    validator(target, (value): z.infer<S> => parseOr400(schema, value, target)),
    { kind: 'request', target, schema },
  )

/**
 * `input('json', schema)` for compatible paths, whose clients may send JSON without a JSON content
 * type, or no body at all (read as `{}`). Same 400 naming the field; `.of(c)` gives the parsed body.
 */
export const lenientJson = <S extends z.ZodType>(schema: S) =>
  Object.assign(
    describe(
      createMiddleware<AppEnv>(async (c, next) => {
        c.set('lenientBody', parseOr400(schema, await jsonBody(c.req)))
        await next()
      }),
      { kind: 'request', target: 'json', schema },
    ),
    { of: (c: { var: { lenientBody: unknown } }) => c.var.lenientBody as z.infer<S> },
  )

/** Reads a JSON body, tolerating an empty body (as `{}`); a malformed body is a clear 400. */
export const jsonBody = async (req: Request | { text: () => Promise<string> }): Promise<unknown> => {
  const text = await req.text()
  if (!text.trim()) return {}
  try {
    return JSON.parse(text)
  } catch {
    throw new AppError('INVALID_REQUEST', 'body: not valid JSON')
  }
}
