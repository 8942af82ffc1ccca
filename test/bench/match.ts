/**
 * Match evaluation throughput: N alerts against 200 enabled conditions on ONE core (this process,
 * no database: the evaluator alone, as the alert.match job and the dry run use it).
 *
 *   npx node test/bench/match.ts                 # 200 conditions, 100,000 alerts
 *   BENCH_CONDITIONS=200 BENCH_ALERTS=20000 npx node test/bench/match.ts
 *
 * Target (issue 14): ≥ 20,000 alerts/s against 200 enabled conditions on one core.
 */
import { compileCondition } from '../../core/src/domain/matching/compile-condition.ts'
import { type Condition, ZCondition } from '../../core/src/domain/matching/condition-model.ts'
import { factsOf, type MatchSubject } from '../../core/src/domain/matching/match-subject.ts'

const CONDITIONS = Number(process.env.BENCH_CONDITIONS ?? 200)
const ALERTS = Number(process.env.BENCH_ALERTS ?? 100_000)

const lists = new Map([[1, new Set(Array.from({ length: 5000 }, (_, i) => `bad${i}.example`))]])
// Realistic mixes: sender/URL domains, subjects, hashes, severities, dispositions, lists.
const conditionAt = (i: number): Condition =>
  ZCondition.parse(
    [
      {
        all: [
          { field: 'classification', op: 'eq', value: 'phish' },
          { field: 'email.sender_domain', op: 'eq', value: `d${i}.example` },
        ],
      },
      {
        any: [
          { field: 'email.subject', op: 'contains', value: `lure ${i}` },
          { field: 'email.url_domain', op: 'in_list', value: 1 },
        ],
      },
      {
        all: [
          { field: 'severity', op: 'in', value: ['high', 'critical'] },
          { not: { field: 'email.recipient_domain', op: 'eq', value: 'vip.example' } },
          { field: 'incident.score', op: 'gte', value: 50 + (i % 40) },
        ],
      },
      {
        field: 'email.attachment_sha256',
        op: 'in',
        value: Array.from({ length: 20 }, (_, k) => `${i}`.padStart(4, '0').repeat(16) + k),
      },
      {
        all: [
          { field: 'incident.abuse_disposition', op: 'eq', value: 'malicious' },
          { field: 'email.message_id', op: 'exists' },
          { field: 'custom.region', op: 'eq', value: `r${i % 7}` },
        ],
      },
    ][i % 5],
  )

const subjectAt = (i: number): MatchSubject => ({
  alert: {
    classification: i % 3 ? 'phish' : 'malware',
    severity: ['low', 'medium', 'high', 'critical'][i % 4]!,
    summary: `alert ${i}`,
    linkAttribute: null,
    attackers: [{ ip_address: `198.51.100.${i % 250}` }],
    threatInfo: { name: 'x' },
    customFields: { region: `r${i % 9}` },
  },
  emails: [
    {
      sender: `billing@d${i % 300}.example`,
      recipients: [`u${i % 1000}@corp.example`, `u${(i + 1) % 1000}@corp.example`],
      subject: `Invoice lure ${i % 500}`,
      messageId: `<${i}@x.example>`,
      urls: [`https://bad${i % 9000}.example/login`, 'https://cdn.example/a.png'],
      attachments: [{ name: 'a.html', sha256: String(i).padStart(64, '0') }],
    },
  ],
  incident: {
    score: i % 100,
    severity: 'Major',
    state: 'open',
    fields: { 'Abuse Disposition': i % 2 ? 'Malicious' : null },
  },
})

const conditions = Array.from({ length: CONDITIONS }, (_, i) => conditionAt(i))
const subjects = Array.from({ length: ALERTS }, (_, i) => subjectAt(i))

const run = () => {
  // Compile once per batch (as the job does), then first-match-wins per alert over every condition.
  const compiled = conditions.map((c) => compileCondition(c, lists))
  let matched = 0
  for (const s of subjects) {
    const facts = factsOf(s)
    for (const p of compiled)
      if (p(facts)) {
        matched++
        break
      }
  }
  return matched
}
run() // warm-up
const cpu0 = process.cpuUsage()
const t0 = performance.now()
const matched = run()
const seconds = (performance.now() - t0) / 1000
const cpu = process.cpuUsage(cpu0)
const rate = ALERTS / seconds
const perCpuSecond = ALERTS / ((cpu.user + cpu.system) / 1e6)
console.log(
  `match: ${ALERTS} alerts × ${CONDITIONS} conditions in ${seconds.toFixed(2)} s = ${rate.toFixed(0)} alerts/s on one core ` +
    `(${(((cpu.user + cpu.system) / 1e6 / seconds) * 100).toFixed(0)} % of a core), ${matched} matched; ${perCpuSecond.toFixed(0)} alerts per CPU-second; target ≥ 20,000 alerts/s: ${rate >= 20_000 ? 'MET' : 'MISSED'}`,
)
