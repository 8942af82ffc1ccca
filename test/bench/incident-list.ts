/**
 * Compatible incident-list benchmark over BENCH_INCIDENTS (default 1,000,000) incidents spread over
 * a year (generator: gen-incidents.ts), against the all-in-one process with embedded PostgreSQL:
 *  - paged: `limit=100` first pages of 30-day windows at random offsets, p95 (target <= 50 ms)
 *  - un-paged 24-hour windows, events expanded, p95 (target <= 300 ms)
 *  - the full 30-day window streamed to completion, with the server's RSS sampled (flat memory)
 *
 *   npx node test/bench/incident-list.ts
 *   BENCH_INCIDENTS=100000 BENCH_REQUESTS=30 npx node test/bench/incident-list.ts   # quick
 */
import { readFileSync } from 'node:fs'
import { generateIncidents } from './gen-incidents.ts'
import { BENCH, benchDbUrl, ctl, pct, startServer, stopServer } from './server.ts'

const COUNT = Number(process.env.BENCH_INCIDENTS ?? 1_000_000)
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 100)
const DAY = 86400_000

const rssMb = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024

const main = async () => {
  const server = await startServer()
  try {
    const g0 = performance.now()
    const gen = await generateIncidents(benchDbUrl(), COUNT)
    console.log(
      `data: ${gen.existing + gen.generated} incidents (${gen.generated} generated in ${((performance.now() - g0) / 1000).toFixed(0)} s)`,
    )
    const key = ctl('api-key', 'create', '--name', `bench-${Date.now()}`, '--team', 'Admins').trim()
    const get = async (q: string) => {
      const t0 = performance.now()
      const res = await fetch(`http://127.0.0.1:${BENCH.port}/api/incidents?${q}`, { headers: { authorization: key } })
      const body = await res.text()
      if (res.status !== 200) throw new Error(`${res.status} ${body.slice(0, 200)}`)
      return { ms: performance.now() - t0, count: (JSON.parse(body) as unknown[]).length }
    }
    const iso = (ms: number) => new Date(ms).toISOString()
    const yearStart = Date.now() - 365 * DAY
    const randomDay = () => yearStart + Math.floor(Math.random() * 330) * DAY

    const paged: number[] = []
    for (let i = 0; i < REQUESTS; i++) {
      const from = randomDay()
      paged.push((await get(`created_after=${iso(from)}&created_before=${iso(from + 30 * DAY)}&limit=100`)).ms)
    }
    paged.sort((a, b) => a - b)
    console.log(
      `paged (limit=100, 30-day windows, events expanded): ${REQUESTS} requests p50 ${pct(paged, 50).toFixed(1)} ms  p95 ${pct(paged, 95).toFixed(1)} ms (target <= 50)`,
    )

    const day: number[] = []
    let perDay = 0
    for (let i = 0; i < Math.max(5, Math.round(REQUESTS / 4)); i++) {
      const from = randomDay()
      const r = await get(`created_after=${iso(from)}&created_before=${iso(from + DAY)}`)
      day.push(r.ms)
      perDay = r.count
    }
    day.sort((a, b) => a - b)
    console.log(
      `un-paged 24-hour window (~${perDay} incidents, expanded): ${day.length} requests p50 ${pct(day, 50).toFixed(0)} ms  p95 ${pct(day, 95).toFixed(0)} ms (target <= 300)`,
    )

    const from = Date.now() - 40 * DAY
    const before = rssMb(server.pid!)
    let peak = before
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssMb(server.pid!))
    }, 100)
    const t0 = performance.now()
    const res = await fetch(
      `http://127.0.0.1:${BENCH.port}/api/incidents?created_after=${iso(from)}&created_before=${iso(from + 30 * DAY)}`,
      { headers: { authorization: key } },
    )
    let bytes = 0
    let commas = 0
    const reader = res.body!.getReader()
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      bytes += value.length
      for (const b of value) if (b === 0x7b) commas++
    }
    clearInterval(sampler)
    console.log(
      `streamed 30-day window: ${(bytes / 1e6).toFixed(1)} MB in ${((performance.now() - t0) / 1000).toFixed(1)} s; server RSS ${before.toFixed(0)} MB before, peak ${peak.toFixed(0)} MB during (+${(peak - before).toFixed(0)} MB)`,
    )
    void commas
  } finally {
    await stopServer(server)
  }
}

await main()
