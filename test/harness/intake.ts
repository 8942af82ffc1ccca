import { randomBytes } from 'node:crypto'
import { drainIntake as drainIntakeLog } from '../../core/src/domain/intake/drain-intake.ts'
import { createSource } from '../../core/src/domain/sources/create-source.ts'
import { SYSTEM } from '../../core/src/policy/actor.ts'
import type { TestApp } from './app.ts'

/**
 * A JSON source and a function that posts one alert to its token URL through the real app. `post`
 * asks the route to wait for the linker (`?wait=10`), so its answer carries `incident_id`;
 * `{ wait: false }` answers as soon as the alert is in the intake log.
 */
export const makeJsonSource = async (
  t: TestApp,
  name = `src-${randomBytes(3).toString('hex')}`,
  linkingRules?: Record<string, unknown>,
) => {
  const { source, token } = await createSource(t.deps.db, t.deps.keyring, SYSTEM, { name, type: 'json', linkingRules })
  const post = (body: unknown, headers: Record<string, string> = {}, options: { wait?: boolean } = {}) =>
    t.api.request(`/threat/json_event/events/${token}${options.wait === false ? '' : '?wait=10'}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    })
  return { source, token: token!, post }
}

/** A realistic 2.0 alert; `over` replaces top-level keys. */
export const alertBody = (over: Record<string, unknown> = {}, email: Record<string, unknown> = {}) => ({
  json_version: '2.0',
  summary: 'Phish reported',
  classification: 'phish',
  severity: 'major',
  attacker: { ip_address: '198.51.100.7', url: 'http://evil.example/' },
  target: { user: 'jdoe' },
  email: {
    sender: 'bad@evil.example',
    recipient: ['jdoe@corp.example'],
    subject: 'Invoice',
    message_id: `<${randomBytes(6).toString('hex')}@evil.example>`,
    attachments: [
      { name: 'inv.pdf', size: 1000, content_type: 'application/pdf', md5: 'a'.repeat(32), sha256: 'b'.repeat(64) },
    ],
    urls: ['http://evil.example/login'],
    ...email,
  },
  threat_info: { name: 'Credential phish', url: 'http://evil.example/login' },
  ...over,
})

/** Links everything waiting in the intake log (the app's own linker may be busy with some of it). */
export const drainIntake = (t: TestApp) => drainIntakeLog(t.deps.db, t.deps.boss)
