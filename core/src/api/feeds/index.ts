import { Hono } from 'hono'
import { readFeed } from '../../domain/lists/read-feed.ts'
import { produces } from '../describe.ts'
import type { AppEnv } from '../env.ts'
import { guard } from '../middleware/auth.ts'

export const feeds = new Hono<AppEnv>()

/**
 * Plain-text block-list feed (one entry per line) at the list's unguessable token URL, for
 * PAN-OS External Dynamic Lists, proxies and the like. ETag + If-None-Match → 304.
 */
feeds.get(
  '/feeds/lists/:file',
  guard({ auth: 'token' }),
  produces('text/plain', 'one unexpired member per line; ETag, and 304 for If-None-Match'),
  async (c) => {
    const token = c.req.param('file').replace(/\.txt$/, '')
    const { body, etag } = await readFeed(c.var.deps.db, token)
    const headers = { etag, 'cache-control': 'no-cache', 'content-type': 'text/plain; charset=utf-8' }
    const inm = c.req.header('if-none-match')
    if (inm?.split(',').some((t) => t.trim() === etag || t.trim() === `W/${etag}`)) return c.body(null, 304, headers)
    return c.body(body, 200, headers)
  },
)
