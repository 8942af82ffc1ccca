import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * VirusTotal API v3 on 127.0.0.1 (https://docs.virustotal.com/reference/overview): `x-apikey`
 * checked (401 WrongCredentialsError), a per-minute request quota like the public API's (429
 * QuotaExceededError), objects under /api/v3/{ip_addresses,domains,urls,files}/{id} with
 * `last_analysis_stats`, 404 NotFoundError for unknown ones.
 */
export const startVirusTotalPeer = async (opts: {
  apiKey: string
  perMinute?: number
  objects?: Record<string, { malicious?: number; suspicious?: number; harmless?: number }>
}) => {
  const perMinute = opts.perMinute ?? 4
  const calls: string[] = []
  let windowStart = Date.now()
  let used = 0
  const error = (res: import('node:http').ServerResponse, status: number, code: string, message: string) =>
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code, message } }))
  const server = createServer((req, res) => {
    calls.push(req.url ?? '')
    if (req.headers['x-apikey'] !== opts.apiKey) return error(res, 401, 'WrongCredentialsError', 'Wrong API key')
    if (Date.now() - windowStart > 60_000) [windowStart, used] = [Date.now(), 0]
    if (++used > perMinute) return error(res, 429, 'QuotaExceededError', 'Quota exceeded')
    const m = /^\/api\/v3\/(ip_addresses|domains|urls|files)\/([^/?]+)$/.exec(req.url ?? '')
    if (!m) return error(res, 400, 'BadRequestError', 'unknown path')
    const id = decodeURIComponent(m[2]!)
    const stats = opts.objects?.[id]
    if (!stats) return error(res, 404, 'NotFoundError', `${id} not found`)
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        data: {
          id,
          type: m[1],
          attributes: { last_analysis_stats: { malicious: 0, suspicious: 0, harmless: 0, undetected: 0, ...stats } },
        },
      }),
    )
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () => new Promise<void>((r) => server.close(() => r())),
  }
}
