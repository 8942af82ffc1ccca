import { createHmac, timingSafeEqual } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

export type Delivery = { deliveryId: string; body: unknown; isSignatureValid: boolean; ageSeconds: number }

/**
 * A webhook receiver on 127.0.0.1 that verifies X-Clawback-Signature the way a customer's
 * endpoint would (HMAC-SHA256 over "<t>.<raw body>", constant-time compare), and answers each
 * request with the next status of `statuses` (then 200). With `holdReply` it records each delivery
 * but holds its answer until `release()`: the window in which a sender that dies has delivered
 * without learning the outcome.
 */
export const startWebhookReceiver = async (
  secret: string,
  statuses: number[] = [],
  opts: { holdReply?: boolean } = {},
) => {
  const deliveries: Delivery[] = []
  const queue = [...statuses]
  let holding = opts.holdReply ?? false
  const held: (() => void)[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8')
      const header = String(req.headers['x-clawback-signature'] ?? '')
      const t = /(?:^|,)t=(\d+)/.exec(header)?.[1] ?? ''
      const v1 = /(?:^|,)v1=([0-9a-f]{64})/.exec(header)?.[1] ?? ''
      const expected = createHmac('sha256', secret).update(`${t}.${raw}`).digest()
      const given = Buffer.from(v1, 'hex')
      deliveries.push({
        deliveryId: String(req.headers['x-clawback-delivery'] ?? ''),
        body: JSON.parse(raw || 'null'),
        isSignatureValid: given.length === expected.length && timingSafeEqual(given, expected),
        ageSeconds: Math.floor(Date.now() / 1000) - Number(t),
      })
      const status = queue.shift() ?? 200
      const answer = () => {
        if (!res.destroyed) res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'no')
      }
      if (holding) held.push(answer)
      else answer()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`
  const release = () => {
    holding = false
    for (const answer of held.splice(0)) answer()
  }
  const close = () => {
    release()
    server.closeAllConnections()
    return new Promise<void>((r) => server.close(() => r()))
  }
  return { url, deliveries, release, close }
}
