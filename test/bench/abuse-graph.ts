/**
 * Abuse mailbox on Microsoft 365 through the loopback Graph peer (this process) and the all-in-one
 * server (api + worker with its abuse pollers, embedded PostgreSQL), a stored msgraph connector:
 * a user report is delivered into the abuse mailbox's Inbox → incident with its analysis verdict
 * stored, one report after another. Graph is POLLED (delta query every `intervalSeconds`,
 * BENCH_INTERVAL, default 5 s, the minimum), so the figure is about half the interval plus the
 * processing. Read from the database every 20 ms. Also prints the peer's limit violations (must be 0).
 *
 *   npx node test/bench/abuse-graph.ts     # BENCH_REPORTS (30), BENCH_INTERVAL (5); ports 19124-19126
 *
 * Target (issue 18): p50 ≤ 5 s, p99 ≤ 15 s.
 */
import { rmSync } from 'node:fs'
import postgres from 'postgres'
import { eml } from '../peers/dovecot.ts'
import { startGraphPeer } from '../peers/graph.ts'

process.env.BENCH_PORT ??= '19124'
process.env.BENCH_CONSOLE_PORT ??= '19125'
process.env.BENCH_PG_PORT ??= '19126'
process.env.BENCH_DATA_DIR ??= 'test/.tmp/bench-abuse-graph'
const { BENCH, benchDbUrl, ctl, pct, startServer, stopServer } = await import('./server.ts')

const REPORTS = Number(process.env.BENCH_REPORTS ?? 30)
const INTERVAL = Number(process.env.BENCH_INTERVAL ?? 5)
const ABUSE = 'abuse@contoso.example'

const report = (i: number) =>
  [
    `From: user${i % 50}@contoso.example`,
    `To: ${ABUSE}`,
    `Subject: FW: Action required ${i}`,
    `Message-ID: <report-${i}@contoso.example>`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b"',
    '',
    '--b',
    'Content-Type: text/plain',
    '',
    'Is this phishing?',
    '--b',
    'Content-Type: message/rfc822',
    'Content-Disposition: attachment; filename="phish.eml"',
    '',
    'Authentication-Results: mx.contoso.example; spf=fail smtp.mailfrom=c0ntoso-helpdesk.example; dkim=fail header.d=c0ntoso-helpdesk.example; dmarc=fail header.from=c0ntoso-helpdesk.example',
    'Reply-To: replies@freemail.example',
    eml({
      from: 'helpdesk@c0ntoso-helpdesk.example',
      to: `user${i % 50}@contoso.example`,
      subject: `Action required ${i}`,
      messageId: `<lat-${i}@c0ntoso-helpdesk.example>`,
      body: `Your mailbox is full: http://198.51.100.7/login?u=${i} and https://bit.ly/x${i}`,
    }),
    '--b--',
    '',
  ].join('\r\n')

rmSync(BENCH.dataDir, { recursive: true, force: true })
const peer = await startGraphPeer()
peer.state.addMailbox(ABUSE)
const server = await startServer()
const sql = postgres(benchDbUrl(), { max: 2, onnotice: () => {} })
try {
  const base = `http://127.0.0.1:${BENCH.port}`
  const key = ctl('api-key', 'create', '--name', 'bench-abuse-graph', '--team', 'Admins').trim()
  const api = async (path: string, body: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { authorization: key, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`)
    return ((await res.json()) as { data: { id: number } }).data
  }
  const connector = await api('/api/v1/connectors', {
    kind: 'msgraph',
    name: 'm365',
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
  await api('/api/v1/abuse-mailboxes', {
    name: 'M365 abuse desk',
    settings: { connectorId: connector.id, mailbox: ABUSE, folder: 'Inbox', intervalSeconds: INTERVAL },
  })
  const verdictOf = async (messageId: string) => {
    const rows = await sql`
      SELECT f.data->>'disposition' AS disposition FROM alert_emails e
      JOIN alerts a ON a.id = e.alert_id
      JOIN enrichment_findings f ON f.incident_id = a.incident_id AND f.kind = 'message_verdict'
      WHERE e.message_id = ${messageId} AND NOT e.is_abuse_copy LIMIT 1`
    return rows[0]?.disposition as string | undefined
  }
  await new Promise((r) => setTimeout(r, 3000)) // the poller opened the mailbox (first delta round)
  const times: number[] = []
  const verdicts: Record<string, number> = {}
  for (let i = 0; i < REPORTS; i++) {
    // arrive at a random moment of the poll cycle
    await new Promise((r) => setTimeout(r, Math.random() * INTERVAL * 1000))
    const t0 = performance.now()
    peer.state.deliver(ABUSE, {
      internetMessageId: `<report-${i}@contoso.example>`,
      from: `user${i % 50}@contoso.example`,
      subject: `FW: Action required ${i}`,
      mime: report(i),
    })
    let v = await verdictOf(`<lat-${i}@c0ntoso-helpdesk.example>`)
    while (!v) {
      if (performance.now() - t0 > 60_000) throw new Error(`report ${i}: no verdict within 60 s`)
      await new Promise((r) => setTimeout(r, 20))
      v = await verdictOf(`<lat-${i}@c0ntoso-helpdesk.example>`)
    }
    verdicts[v] = (verdicts[v] ?? 0) + 1
    times.push(performance.now() - t0)
  }
  times.sort((a, b) => a - b)
  console.log(
    JSON.stringify({
      phase: `report → incident with verdict (Graph delta poll every ${INTERVAL} s)`,
      reports: REPORTS,
      p50_ms: Math.round(pct(times, 50)),
      p99_ms: Math.round(pct(times, 99)),
      min_ms: Math.round(times[0]!),
      max_ms: Math.round(times.at(-1)!),
      verdicts,
      peer_violations: peer.violations.length,
    }),
  )
} finally {
  await sql.end()
  await stopServer(server)
  await peer.close()
}
