/**
 * Data generator for the incident-list benchmark: BENCH_INCIDENTS (default 1,000,000) incidents
 * spread evenly over the year before now, each with one alert, one email, hosts and users, ~80 %
 * closed. Written with set-based SQL straight into the bench database; skipped when already there.
 */
import postgres from 'postgres'

export const generateIncidents = async (url: string, count: number) => {
  const sql = postgres(url, { max: 1, onnotice: () => {} })
  try {
    const n = (await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM incidents WHERE summary LIKE 'bench %'`)[0]!.n
    if (n >= count) return { generated: 0, existing: n }
    const [src] = await sql<
      { id: string }[]
    >`INSERT INTO sources (name, type) VALUES ('bench-list', 'json') ON CONFLICT DO NOTHING RETURNING id`
    const sourceId =
      src?.id ?? (await sql<{ id: string }[]>`SELECT id FROM sources WHERE lower(name) = 'bench-list'`)[0]!.id
    const chunk = 100_000
    const start = Date.now() - 365 * 86400_000
    const step = (365 * 86400_000) / count
    for (let from = n; from < count; from += chunk) {
      const to = Math.min(count, from + chunk)
      await sql.begin(async (tx) => {
        await tx.unsafe(`SET LOCAL synchronous_commit = off`)
        await tx.unsafe(
          `WITH g AS (
             SELECT s, to_timestamp((${start}::float8 + s::float8 * ${step}::float8) / 1000.0) AS at FROM generate_series(${from}, ${to - 1}) s),
           inc AS (
             INSERT INTO incidents (state, type, severity, score, summary, source_id, created_at, updated_at, closed_at, close_summary)
             SELECT CASE WHEN s % 5 = 0 THEN 'open' ELSE 'closed' END::incident_state, 'Phishing', 'High', 4000, 'bench ' || s, ${sourceId},
                    at, at + interval '7 minutes', CASE WHEN s % 5 = 0 THEN NULL ELSE at + interval '7 minutes' END, 'auto'
             FROM g ORDER BY s RETURNING id, created_at)
           , al AS (
             INSERT INTO alerts (source_id, incident_id, received_at, raw, classification, severity, summary, attackers, threat_info)
             SELECT ${sourceId}, id, created_at, '{"bench":true}', 'phish', 'major', 'bench alert',
                    jsonb_build_array(jsonb_build_object('ip_address', '198.51.100.' || (id % 250))), '{"name":"Bench.Phish"}'
             FROM inc RETURNING id, incident_id, received_at)
           , em AS (
             INSERT INTO alert_emails (alert_id, message_id, sender, recipients, subject, delivered_at, attachments)
             SELECT id, '<bench-' || incident_id || '@mail.example>', 'bad@evil.example', ARRAY['user' || (incident_id % 5000) || '@corp.example'], 'Invoice ' || incident_id, received_at,
                    '[{"name":"inv.pdf","size":1000,"contentType":"application/pdf","md5":"","sha256":""}]'
             FROM al)
           , ho AS (INSERT INTO incident_hosts (incident_id, kind, host) SELECT id, 'attacker', '198.51.100.' || (id % 250) FROM inc)
           INSERT INTO incident_users (incident_id, kind, username) SELECT id, 'targets', 'user' || (id % 5000) || '@corp.example' FROM inc`,
        )
      })
      process.stderr.write(`generated ${to} / ${count} incidents\n`)
    }
    await sql.unsafe('ANALYZE')
    return { generated: count - n, existing: n }
  } finally {
    await sql.end()
  }
}
