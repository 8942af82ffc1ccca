import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Hono } from 'hono'
import type { AppEnv } from '../../core/src/api/env.ts'
import { guard } from '../../core/src/api/middleware/auth.ts'

const here = path.dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)

/** Static assets, served by Clawback itself (no CDN): read once, cached by the browser for a day. */
const ASSETS: Record<string, { type: string; body: string }> = {
  'htmx.min.js': {
    type: 'text/javascript; charset=utf-8',
    body: readFileSync(require.resolve('htmx.org/dist/htmx.min.js'), 'utf8'),
  },
  'app.js': { type: 'text/javascript; charset=utf-8', body: readFileSync(path.join(here, 'assets/app.js'), 'utf8') },
  'app.css': { type: 'text/css; charset=utf-8', body: readFileSync(path.join(here, 'assets/app.css'), 'utf8') },
}

export const mountAssets = (app: Hono<AppEnv>) => {
  app.get('/assets/:name', guard({ auth: 'public' }), (c) => {
    const name = c.req.param('name')
    // Own keys only: /assets/__proto__ or /assets/constructor must be a 404, not Object's prototype.
    const asset = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined
    if (!asset) return c.notFound()
    c.header('Cache-Control', 'public, max-age=86400')
    c.header('X-Content-Type-Options', 'nosniff')
    return c.body(asset.body, 200, { 'Content-Type': asset.type })
  })
}
