import { createWriteStream, mkdirSync, renameSync, rmSync } from 'node:fs'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { AppError } from '../../../core/src/errors.ts'
import { textProblem } from '../../../core/src/storable.ts'

export type Upload = { file: string; originalName: string; size: number; isStreamed: boolean }

/**
 * Receives an uploaded file into `dest` without holding it in memory when the page's script
 * (`assets/app.js`, `form[data-stream-upload]`) sends it raw (`application/octet-stream`, name in `X-File-Name`, CSRF in `X-CSRF-Token`); a plain
 * multipart form (no JavaScript) still works, buffered by the form parser.
 */
export const receiveUpload = async (c: Context<AppEnv>, dest: string): Promise<Upload | undefined> => {
  mkdirSync(path.dirname(dest), { recursive: true, mode: 0o700 })
  const partial = `${dest}.partial`
  try {
    if ((c.req.header('content-type') ?? '').startsWith('application/octet-stream')) {
      const body = c.req.raw.body
      if (!body) return undefined
      const originalName = fileNameHeader(c.req.header('x-file-name'))
      const out = createWriteStream(partial, { mode: 0o600 })
      await pipeline(Readable.fromWeb(body as never), out)
      renameSync(partial, dest)
      return { file: dest, originalName, size: out.bytesWritten, isStreamed: true }
    }
    const form = await c.req.parseBody()
    const f = form.file
    if (!(f instanceof File) || f.size === 0) return undefined
    await pipeline(Readable.fromWeb(f.stream() as never), createWriteStream(partial, { mode: 0o600 }))
    renameSync(partial, dest)
    return { file: dest, originalName: f.name, size: f.size, isStreamed: false }
  } finally {
    rmSync(partial, { force: true })
  }
}

/**
 * The percent-encoded `X-File-Name` of a streamed upload, decoded (at most 200 characters).
 * @throws AppError INVALID_REQUEST for malformed percent-encoding or a name that cannot be stored.
 */
const fileNameHeader = (raw: string | undefined): string => {
  let name: string
  try {
    name = decodeURIComponent(raw ?? 'upload')
  } catch {
    throw new AppError('INVALID_REQUEST', 'X-File-Name: not valid percent-encoded UTF-8')
  }
  const problem = /[\r\n]/.test(name) ? 'contains a line break' : textProblem(name)
  if (problem) throw new AppError('INVALID_REQUEST', `X-File-Name: ${problem}`)
  return [...name].slice(0, 200).join('')
}
