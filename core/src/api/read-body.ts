import type { IncomingMessage } from 'node:http'
import type { Context } from 'hono'
import { AppError } from '../errors.ts'

const tooLarge = (limit: number) => new AppError('PAYLOAD_TOO_LARGE', `body: larger than ${limit} bytes`)

/**
 * The request body as UTF-8 text, at most `limit` bytes (413 beyond, whether or not the client
 * declared a Content-Length). Under @hono/node-server it is read straight from Node's
 * IncomingMessage: on the intake hot path that costs a fraction of the web-stream `Request` body
 * (measured: stream adapters were among the top CPU consumers per alert). Elsewhere (in-process
 * `app.request`), the standard body is read and measured.
 */
export const readBodyText = async (c: Context, limit: number): Promise<string> => {
  if (Number(c.req.header('content-length') ?? 0) > limit) throw tooLarge(limit)
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming
  if (!incoming || typeof incoming.on !== 'function') {
    const text = await c.req.text()
    if (Buffer.byteLength(text) > limit) throw tooLarge(limit)
    return text
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size <= limit) return void chunks.push(chunk)
      incoming.off('data', onData)
      incoming.resume() // discard the rest; the answer is 413
      reject(tooLarge(limit))
    }
    incoming.on('data', onData)
    incoming.once('end', () => resolve(Buffer.concat(chunks, size).toString('utf8')))
    incoming.once('error', reject)
  })
}
