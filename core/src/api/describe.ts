import type { ValidationTargets } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { z } from 'zod'
import type { AppEnv } from './env.ts'
import { ZError } from './schemas.ts'

/**
 * What one middleware tells the OpenAPI document about its route. `input()` (validate.ts) carries
 * the request schema it parses with; `output()` the answer's; `accepts()`/`produces()` the non-JSON
 * bodies (multipart uploads, CSV, downloads) that no zod schema parses.
 */
export type Description =
  | { kind: 'request'; target: keyof ValidationTargets; schema: z.ZodType }
  | { kind: 'response'; status: number; schema: z.ZodType }
  | { kind: 'accepts'; contentType: string; schema: Record<string, unknown>; description: string }
  | { kind: 'produces'; contentType: string; description: string }

export type Described = { describes: Description }

const described = <M extends object>(mw: M, describes: Description): M & Described => Object.assign(mw, { describes })

/** Marks a middleware as carrying a description (used by `input()`). */
export const describe = described

/**
 * Declares the route's success answer: `{status}` with a JSON body matching `schema`. With
 * `Deps.checkResponses` (test apps) every JSON answer is checked — the declared status and schema
 * for success, the error shape otherwise — and a mismatch becomes a 500 naming the field, so the
 * document cannot drift from what the route sends.
 */
export const output = (status: number, schema: z.ZodType) =>
  described(
    createMiddleware<AppEnv>(async (c, next) => {
      await next()
      if (!c.var.deps.checkResponses || !/json/.test(c.res.headers.get('content-type') ?? '')) return
      const expected = c.res.status < 400 ? schema : ZError
      const problem =
        c.res.status < 400 && c.res.status !== status
          ? `status ${c.res.status}, declared ${status}`
          : issueOf(expected.safeParse(await c.res.clone().json()))
      if (problem)
        c.res = new Response(
          JSON.stringify({
            error: {
              code: 'INTERNAL',
              message: `response of ${c.req.method} ${c.req.path} breaks its schema: ${problem}`,
            },
          }),
          { status: 500, headers: { 'content-type': 'application/json' } },
        )
    }),
    { kind: 'response', status, schema },
  )

const issueOf = (r: { success: boolean; error?: z.ZodError }) => {
  const issue = r.success ? undefined : r.error?.issues[0]
  return issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : undefined
}

/** Declares a request body no zod schema parses (multipart upload, CSV); described, not checked. */
export const accepts = (contentType: string, schema: Record<string, unknown>, description: string) =>
  described(
    createMiddleware<AppEnv>(async (_c, next) => next()),
    { kind: 'accepts', contentType, schema, description },
  )

/** Declares a non-JSON success answer (a download). */
export const produces = (contentType: string, description: string) =>
  described(
    createMiddleware<AppEnv>(async (_c, next) => next()),
    { kind: 'produces', contentType, description },
  )

/** The multipart body of every attachment upload. */
export const FILE_UPLOAD = accepts(
  'multipart/form-data',
  {
    type: 'object',
    required: ['file'],
    properties: { file: { type: 'string', contentMediaType: 'application/octet-stream' } },
  },
  'the file in form field "file" (at most CLAWBACK_MAX_ATTACHMENT_BYTES)',
)
