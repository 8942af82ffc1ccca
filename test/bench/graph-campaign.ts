/**
 * Campaign benchmark (issue 17): one message delivered to BENCH_MAILBOXES (10,000) mailboxes on the
 * loopback Graph peer with its limits enforced (4 concurrent requests per mailbox, $batch ≤ 20,
 * 10,000 requests / 10 min) → every copy found and quarantined through the msgraph connector's bulk
 * calls, then every copy restored, each phase within 60 s and with zero limit violations recorded
 * by the peer. The quarantine domain schedules these calls in production; here they are driven the
 * way a job fan-out would: BENCH_CHUNK (200) recipients per call, BENCH_JOBS (8) calls in flight,
 * a connector instance per call (one per job).
 *
 *   npx node test/bench/graph-campaign.ts
 *   BENCH_MAILBOXES=2000 npx node test/bench/graph-campaign.ts
 */
import { createHttpClient, resolveUnderPolicy } from '../../core/src/connectors/http.ts'
import { GraphConnector } from '../../core/src/connectors/msgraph/client.ts'
import { ZGraphSettings } from '../../core/src/connectors/msgraph/manifest.ts'
import type { CallContext, MailCopy } from '../../core/src/connectors/types.ts'
import { createLogger } from '../../core/src/log.ts'
import { startGraphPeer } from '../peers/graph.ts'

const MAILBOXES = Number(process.env.BENCH_MAILBOXES ?? 10_000)
const CHUNK = Number(process.env.BENCH_CHUNK ?? 200)
const JOBS = Number(process.env.BENCH_JOBS ?? 8)
const LIMIT_MS = 60_000
const mid = '<campaign-4711@evil.example>'

const peer = await startGraphPeer({ latencyMs: Number(process.env.BENCH_PEER_LATENCY_MS ?? 2) })
const http = createHttpClient({ policy: { isOnPremises: true }, ca: peer.ca })
const ctx: CallContext = {
  signal: new AbortController().signal,
  log: createLogger('silent'),
  http,
  resolve: (host) => resolveUnderPolicy({ isOnPremises: true }, host),
}
const settings = ZGraphSettings.parse({
  tenantId: peer.tenantId,
  clientId: peer.clientId,
  authorityHost: peer.authorityHost,
  graphBaseUrl: peer.baseUrl,
})
const mailboxes = Array.from({ length: MAILBOXES }, (_, i) => `user${i}@contoso.example`)
for (const [i, m] of mailboxes.entries()) peer.state.deliver(m, { internetMessageId: mid, isRead: i % 3 === 0 })

/** Runs `work` over chunks of `items`, JOBS at a time; answers the chunk results in order. */
const fanOut = async <T, R>(items: T[], work: (chunk: T[]) => Promise<R[]>): Promise<R[]> => {
  const chunks: T[][] = []
  for (let i = 0; i < items.length; i += CHUNK) chunks.push(items.slice(i, i + CHUNK))
  const out: R[][] = new Array(chunks.length)
  let next = 0
  await Promise.all(
    Array.from({ length: JOBS }, async () => {
      for (let c = next++; c < chunks.length; c = next++) out[c] = await work(chunks[c]!)
    }),
  )
  return out.flat()
}
const stats = () => ({ ...peer.stats })
const delta = (a: ReturnType<typeof stats>, b: ReturnType<typeof stats>) =>
  `${b.batches - a.batches} $batch requests, ${b.members - a.members} members, ${b.tokenRequests - a.tokenRequests} token requests`

let failures = 0
const s0 = stats()
const t0 = performance.now()
const pairs = await fanOut(mailboxes, async (chunk) => {
  const c = new GraphConnector(settings, { clientSecret: peer.clientSecret })
  const found = await c.findMessages(
    chunk.map((mailbox) => ({ mailbox, locator: { by: 'messageId' as const, messageId: mid } })),
    ctx,
  )
  const originals = found.flatMap((f) => (f.ok ? f.value.copies : []))
  failures += found.filter((f) => !f.ok).length
  const moved = await c.quarantine(originals, ctx)
  return moved.flatMap((m, i) => (m.ok ? [{ quarantined: m.value, original: originals[i]! }] : (failures++, [])))
})
const quarantineMs = performance.now() - t0
const s1 = stats()
const inQuarantine = mailboxes.filter((m) => {
  const l = peer.state.locate(m, mid)
  return l.length === 1 && l[0]!.isHidden && l[0]!.folder === 'Clawback Quarantine'
}).length

const t1 = performance.now()
const restored = await fanOut(pairs, async (chunk: { quarantined: MailCopy; original: MailCopy }[]) => {
  const c = new GraphConnector(settings, { clientSecret: peer.clientSecret })
  return c.restore(chunk, ctx)
})
const restoreMs = performance.now() - t1
const s2 = stats()
failures += restored.filter((r) => !r.ok).length
const back = mailboxes.filter((m, i) => {
  const l = peer.state.locate(m, mid)
  return l.length === 1 && l[0]!.folder === 'inbox' && l[0]!.isRead === (i % 3 === 0)
}).length

console.log(
  `graph campaign: ${MAILBOXES} mailboxes, ${CHUNK} per call, ${JOBS} calls in flight, peer latency per request ${process.env.BENCH_PEER_LATENCY_MS ?? 2} ms`,
)
console.log(
  `quarantine: ${(quarantineMs / 1000).toFixed(1)} s, ${inQuarantine}/${MAILBOXES} in the hidden folder (${delta(s0, s1)})`,
)
console.log(
  `restore:    ${(restoreMs / 1000).toFixed(1)} s, ${back}/${MAILBOXES} back in the Inbox with their read state (${delta(s1, s2)})`,
)
console.log(
  `per-item failures: ${failures}; limit violations recorded by the peer: ${peer.violations.length}; max concurrent requests on one mailbox: ${peer.stats.maxConcurrent}`,
)
for (const v of peer.violations.slice(0, 5)) console.log(`  violation: ${v}`)
await http.close()
await peer.close()
const ok =
  quarantineMs <= LIMIT_MS &&
  restoreMs <= LIMIT_MS &&
  inQuarantine === MAILBOXES &&
  back === MAILBOXES &&
  peer.violations.length === 0
console.log(ok ? 'PASS' : 'FAIL')
process.exit(ok ? 0 : 1)
