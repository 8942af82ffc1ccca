import type { IncomingMessage } from 'node:http'
import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import { matchedRoutes } from 'hono/route'
import type { Config } from '../config.ts'
import { AppError } from '../errors.ts'
import type { AppEnv } from './env.ts'

/** Requests from no one signed in (the sign-in form, anything answered 401 anyway) carry a few KB. */
export const ANONYMOUS_BODY_BYTES = 16 * 1024
/** Room for the multipart envelope around an uploaded file (boundaries, part headers, the CSRF field). */
const MULTIPART_SLACK = 64 * 1024
/** Console uploads (backups, IMG releases) stream to disk: bounded by the disk, and by this. */
export const CONSOLE_UPLOAD_BYTES = 64 * 1024 ** 3
/** The analyst UI's CSV upload (console/src/analyst/source-upload.ts). */
export const UI_CSV_BYTES = 10 * 1024 * 1024

/** Uploads, each with its own limit; every other request with a body gets CLAWBACK_MAX_BODY_BYTES. */
const UPLOADS: [RegExp, (config: Config) => number][] = [
  [/^\/(api\/v1\/)?(incidents|investigations)\/[^/]+\/attachments$/, (c) => c.maxAttachmentBytes + MULTIPART_SLACK],
  [/^\/api\/v1\/sources\/[^/]+\/uploads$/, (c) => c.maxAttachmentBytes + MULTIPART_SLACK],
  [/^\/sources\/[^/]+\/upload$/, () => UI_CSV_BYTES + MULTIPART_SLACK],
  [/^\/(backups|upgrade)\/upload$/, () => CONSOLE_UPLOAD_BYTES],
]

export const tooLarge = (limit: number) => new AppError('PAYLOAD_TOO_LARGE', `body: larger than ${limit} bytes`)

/** The most bytes this request's body may hold. */
export const bodyLimitFor = (c: Context<AppEnv>): number => {
  const { config } = c.var.deps
  const upload = UPLOADS.find(([re]) => re.test(c.req.path))
  if (upload) return c.var.actor ? upload[1](config) : ANONYMOUS_BODY_BYTES
  return c.var.actor ? config.maxBodyBytes : Math.min(ANONYMOUS_BODY_BYTES, config.maxBodyBytes)
}

const isTokenRoute = (c: Context) =>
  matchedRoutes(c).some((r) => (r.handler as { access?: { auth?: string } }).access?.auth === 'token')

/**
 * Enforces the body limit of every route while the body is read, never after: a declared
 * Content-Length beyond it is answered 413 before a byte is read; a chunked body is counted as it
 * arrives and cut off at the limit (413). Either way the answer says `Connection: close` and the
 * rest of the body is discarded, never buffered. Token routes (JSON intake) read their body from
 * the connection themselves (`read-body.ts`) under CLAWBACK_MAX_BODY_BYTES.
 */
export const limitBody = createMiddleware<AppEnv>(async (c, next) => {
  if (c.req.method === 'GET' || c.req.method === 'HEAD' || isTokenRoute(c)) return next()
  const limit = bodyLimitFor(c)
  const declared = c.req.header('content-length')
  if (declared !== undefined && Number(declared) > limit) throw tooLarge(limit)
  const raw = c.req.raw
  if (!raw.body && !incomingOf(c)) return next()
  let isCut = false
  const body = countedBody(c, limit, () => {
    isCut = true
  })
  c.req.raw = new Request(raw.url, { method: raw.method, headers: raw.headers, body, duplex: 'half' } as RequestInit)
  await next()
  // Answered before the body ended (a 404, a 401, a cut): close rather than read the rest.
  const incoming = incomingOf(c)
  if (incoming && !incoming.complete) closeAfter(c)
  if (!isCut) return
  // A handler may have turned the failed read into its own answer (a 422 page naming the file);
  // anything else (a parser's "malformed body") is the 413 it really is.
  if (c.res.status !== 413 && c.res.status !== 422) throw tooLarge(limit)
  closeAfter(c)
})

/** Marks the answer as the connection's last (the unread rest of the body is not worth reading). */
export const closeAfter = (c: Context) => {
  try {
    c.res.headers.set('Connection', 'close')
  } catch {
    c.res = new Response(c.res.body, c.res) // immutable headers: copy once
    c.res.headers.set('Connection', 'close')
  }
}

const incomingOf = (c: Context) => {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming
  return incoming && typeof incoming.on === 'function' ? incoming : undefined
}

/**
 * The body as a web stream that errors (413) as soon as more than `limit` bytes arrived. From a
 * real connection it reads Node's request directly and, once cut off, discards what still comes
 * (so the client's sending never fills memory, and it gets to read the 413).
 */
const countedBody = (c: Context, limit: number, onCut: () => void): ReadableStream<Uint8Array> => {
  let size = 0
  const incoming = incomingOf(c)
  if (!incoming) {
    const reader = c.req.raw.body!.getReader()
    return new ReadableStream({
      async pull(ctrl) {
        const { done, value } = await reader.read()
        if (done) return ctrl.close()
        size += value.byteLength
        if (size > limit) {
          onCut()
          reader.cancel().catch(() => {})
          return ctrl.error(tooLarge(limit))
        }
        ctrl.enqueue(value)
      },
      cancel: (reason) => reader.cancel(reason),
    })
  }
  let ctrl!: ReadableStreamDefaultController<Uint8Array>
  const detach = () => {
    incoming.off('data', onData)
    incoming.off('end', onEnd)
    incoming.off('error', onError)
    incoming.resume() // flowing without a listener: the rest is dropped as it arrives
  }
  const onData = (chunk: Buffer) => {
    size += chunk.length
    if (size > limit) {
      detach()
      onCut()
      return ctrl.error(tooLarge(limit))
    }
    ctrl.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length))
    if ((ctrl.desiredSize ?? 1) <= 0) incoming.pause()
  }
  const onEnd = () => ctrl.close()
  const onError = (err: Error) => ctrl.error(err)
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        ctrl = controller
        incoming.on('data', onData)
        incoming.once('end', onEnd)
        incoming.once('error', onError)
      },
      pull() {
        incoming.resume()
      },
      cancel: detach,
    },
    { highWaterMark: 4, size: () => 1 },
  )
}
