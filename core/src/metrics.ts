/**
 * A tiny in-process Prometheus registry: counters and fixed-bucket histograms with labels,
 * rendered in the text exposition format by `GET /metrics`. Per process (each api process
 * exposes its own figures, as Prometheus expects).
 */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

type Labels = Record<string, string>
const keyOf = (labels: Labels) =>
  Object.keys(labels)
    .sort()
    .map((k) => `${k}="${String(labels[k]).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
    .join(',')

class Counter {
  readonly values = new Map<string, number>()
  readonly name: string
  readonly help: string
  constructor(name: string, help: string) {
    this.name = name
    this.help = help
  }
  inc(labels: Labels, by = 1) {
    const k = keyOf(labels)
    this.values.set(k, (this.values.get(k) ?? 0) + by)
  }
  render() {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`]
    for (const [k, v] of this.values) lines.push(`${this.name}{${k}} ${v}`)
    return lines.join('\n')
  }
}

/** Buckets of the visibility lag (seconds): its target is p99 <= 2 s, so the bounds around 2 s are fine. */
const LAG_BUCKETS = [0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30, 60, 300]

class Histogram {
  readonly series = new Map<string, { counts: number[]; sum: number; count: number }>()
  readonly name: string
  readonly help: string
  readonly buckets: number[]
  constructor(name: string, help: string, buckets = BUCKETS) {
    this.name = name
    this.help = help
    this.buckets = buckets
  }
  observe(labels: Labels, seconds: number) {
    const k = keyOf(labels)
    let s = this.series.get(k)
    if (!s) {
      s = { counts: this.buckets.map(() => 0), sum: 0, count: 0 }
      this.series.set(k, s)
    }
    for (let i = 0; i < this.buckets.length; i++) if (seconds <= this.buckets[i]!) s.counts[i]!++
    s.sum += seconds
    s.count++
  }
  /** The bucket bound under which fraction `q` of the observations fall (null: none, Infinity: beyond the last bucket). */
  quantile(labels: Labels, q: number) {
    const s = this.series.get(keyOf(labels))
    if (!s?.count) return null
    for (const [i, b] of this.buckets.entries()) if (s.counts[i]! >= q * s.count) return b
    return Number.POSITIVE_INFINITY
  }
  render() {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`]
    for (const [k, s] of this.series) {
      const sep = k ? ',' : ''
      for (const [i, b] of this.buckets.entries()) lines.push(`${this.name}_bucket{${k}${sep}le="${b}"} ${s.counts[i]}`)
      lines.push(`${this.name}_bucket{${k}${sep}le="+Inf"} ${s.count}`)
      lines.push(`${this.name}_sum{${k}} ${s.sum}`)
      lines.push(`${this.name}_count{${k}} ${s.count}`)
    }
    return lines.join('\n')
  }
}

export const metrics = {
  intakeAlerts: new Counter(
    'clawback_intake_alerts_total',
    'Alerts received, by source and outcome (stored, rejected)',
  ),
  intakeSeconds: new Histogram(
    'clawback_intake_duration_seconds',
    'Time from request to durable commit of an alert, by source',
  ),
  intakeBatch: new Histogram('clawback_intake_batch_seconds', 'Duration of one group-commit transaction'),
  intakeLag: new Histogram(
    'clawback_intake_visibility_lag_seconds',
    'Time from acknowledgement (intake log commit) to the alert linked into a visible incident (linkers of this process)',
    LAG_BUCKETS,
  ),
  intakeLinked: new Counter('clawback_intake_linked_total', 'Alerts linked by the linkers of this process'),
  httpSeconds: new Histogram(
    'clawback_http_request_duration_seconds',
    'HTTP request latency by method, route and status class',
  ),
}

export const renderMetrics = (extra: string[] = []) =>
  `${[metrics.intakeAlerts.render(), metrics.intakeSeconds.render(), metrics.intakeBatch.render(), metrics.intakeLag.render(), metrics.intakeLinked.render(), metrics.httpSeconds.render(), ...extra].join('\n')}\n`
