/**
 * Alert → message in quarantine, end to end on the loopback Graph peer: the all-in-one process
 * (api + worker, embedded PostgreSQL), an msgraph connector (trusting the peer's certificate
 * through its `caCertificate` setting), a match condition running mail.quarantine automatically;
 * for each alert the message is delivered to a mailbox on the peer, the JSON alert is POSTed, and
 * the time until the peer holds the message in the hidden quarantine folder is measured. Alerts
 * one after another; the peer's limit violations are printed (must be 0).
 *
 *   npx node test/bench/quarantine-graph.ts           # 50 alerts (BENCH_ALERTS)
 *
 * Ports 18427-18429 (BENCH_PORT, BENCH_CONSOLE_PORT, BENCH_PG_PORT); BENCH_PEER_LATENCY_MS (2)
 * is the peer's time per Graph request. Targets (issue 17): p50 ≤ 1 s, p99 ≤ 2 s.
 */
import { rmSync } from 'node:fs'
import { startGraphPeer } from '../peers/graph.ts'

process.env.BENCH_PORT ??= '18427'
process.env.BENCH_CONSOLE_PORT ??= '18428'
process.env.BENCH_PG_PORT ??= '18429'
process.env.BENCH_DATA_DIR ??= 'test/.tmp/bench-quarantine-graph'
const { BENCH, ctl, pct, startServer, stopServer } = await import('./server.ts')

const ALERTS = Number(process.env.BENCH_ALERTS ?? 50)
const USER = 'victim@contoso.example'

rmSync(BENCH.dataDir, { recursive: true, force: true })
const peer = await startGraphPeer({ latencyMs: Number(process.env.BENCH_PEER_LATENCY_MS ?? 2) })
const server = await startServer()
try {
  const base = `http://127.0.0.1:${BENCH.port}`
  const key = ctl('api-key', 'create', '--name', 'bench-quarantine', '--team', 'Admins').trim()
  const api = async (path: string, body: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { authorization: key, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`)
    return ((await res.json()) as { data: { id: number } }).data
  }
  await api('/api/v1/connectors', {
    kind: 'msgraph',
    name: 'contoso',
    settings: {
      tenantId: peer.tenantId,
      clientId: peer.clientId,
      authorityHost: peer.authorityHost,
      graphBaseUrl: peer.baseUrl,
      domains: ['contoso.example'],
      caCertificate: peer.ca,
    },
    secrets: { clientSecret: peer.clientSecret },
    isOnPremises: true,
  })
  const intakeUrl = ctl('source', 'create', '--type', 'json', '--name', `bench-${Date.now()}`).trim()
  const sourceId = Number(
    (
      (await (await fetch(`${base}/api/v1/sources`, { headers: { authorization: key } })).json()) as {
        data: { id: number }[]
      }
    ).data.at(-1)!.id,
  )
  await api(`/api/v1/sources/${sourceId}/match-conditions`, {
    name: 'pull',
    condition: { field: 'classification', op: 'eq', value: 'phish' },
    responses: [{ type: 'mail.quarantine', params: { followForwards: false } }],
    isAutomatic: true,
    isEnabled: true,
  })
  const inQuarantine = (mid: string) => peer.state.locate(USER, mid).some((c) => c.isHidden)
  const times: number[] = []
  for (let i = 0; i < ALERTS; i++) {
    const mid = `<bench-${Date.now()}-${i}@evil.example>`
    peer.state.deliver(USER, { internetMessageId: mid, subject: `Invoice ${i}` })
    const t0 = performance.now()
    const res = await fetch(intakeUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        json_version: '2.0',
        summary: 'bench',
        classification: 'phish',
        email: { sender: 'attacker@evil.example', recipient: [USER], subject: `Invoice ${i}`, message_id: mid },
      }),
    })
    if (!res.ok) throw new Error(`intake ${res.status}`)
    while (!inQuarantine(mid)) {
      if (performance.now() - t0 > 30_000) throw new Error(`alert ${i} not quarantined within 30 s`)
      await new Promise((r) => setTimeout(r, 5))
    }
    times.push(performance.now() - t0)
  }
  times.sort((a, b) => a - b)
  console.log(
    JSON.stringify({
      alerts: ALERTS,
      p50_ms: Math.round(pct(times, 50)),
      p99_ms: Math.round(pct(times, 99)),
      max_ms: Math.round(times.at(-1)!),
      min_ms: Math.round(times[0]!),
      graph_requests: { tokens: peer.stats.tokenRequests, batches: peer.stats.batches, direct: peer.stats.direct },
      violations: peer.violations.length,
    }),
  )
} finally {
  await stopServer(server)
  await peer.close()
}
