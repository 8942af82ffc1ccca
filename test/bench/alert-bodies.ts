import { randomBytes } from 'node:crypto'
import http from 'node:http'
import { BENCH } from './server.ts'

/**
 * The intake benchmarks' alerts: JSON 2.0 bodies of 2–4 KB (a 1–3 KB custom field), ~30 % of them
 * reusing a recent message-id (so they link to an existing incident), with an attacker, a target,
 * an e-mail with an attachment and a URL, and threat info.
 */
const recentMids: string[] = []
const pad = (n: number) =>
  randomBytes(Math.ceil(n / 2))
    .toString('hex')
    .slice(0, n)
export const makeBody = () => {
  let mid: string
  if (recentMids.length > 50 && Math.random() < 0.3) mid = recentMids[Math.floor(Math.random() * recentMids.length)]!
  else {
    mid = `<${randomBytes(8).toString('hex')}@mail.example>`
    recentMids.push(mid)
    if (recentMids.length > 2000) recentMids.shift()
  }
  const body = {
    json_version: '2.0',
    summary: `Malicious attachment ${pad(8)}`,
    classification: 'malware',
    severity: 'major',
    attacker: { ip_address: `198.51.100.${Math.floor(Math.random() * 250)}`, host_name: 'mx.evil.example' },
    target: { user: `user${Math.floor(Math.random() * 5000)}`, host_name: 'ws-01' },
    detector: { product: 'bench', vendor: 'clawback', version: '1.0' },
    email: {
      sender: 'invoice@evil.example',
      recipient: [`user${Math.floor(Math.random() * 5000)}@corp.example`],
      subject: `Invoice ${pad(10)}`,
      message_id: mid,
      attachments: [
        { name: 'invoice.docm', size: 48213, content_type: 'application/vnd.ms-word', md5: pad(32), sha256: pad(64) },
      ],
      urls: [`http://evil.example/${pad(20)}`],
      headers: {
        'X-Mailer': 'bench',
        Received: `from mx.evil.example by mx.corp.example; ${new Date().toUTCString()}`,
      },
    },
    threat_info: {
      name: 'Trojan.Bench',
      filename: 'invoice.docm',
      filehash: pad(64),
      url: `http://evil.example/${pad(12)}`,
    },
    custom_fields: { note: pad(1000 + Math.floor(Math.random() * 2000)) },
  }
  return JSON.stringify(body)
}

/** POSTs one alert body to the bench server over `agent`; resolves with the status code. */
export const postAlert = (agent: http.Agent, path: string, body: string) =>
  new Promise<number>((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: BENCH.port,
        path,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
      },
    )
    req.on('error', reject)
    req.end(body)
  })
