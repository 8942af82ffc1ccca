import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { readTimeAndLogging } from './time-and-logging.ts'

const put = (root: string, file: string, text: string) => {
  mkdirSync(path.dirname(path.join(root, file)), { recursive: true })
  writeFileSync(path.join(root, file), text)
}

describe('time sources and syslog forwarding (read-only)', () => {
  it('reads timesyncd, chrony and rsyslog configuration', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'tl-'))
    put(
      root,
      'etc/systemd/timesyncd.conf',
      '[Time]\n#NTP=ignored.example\nNTP=ntp1.corp.example ntp2.corp.example\nFallbackNTP=0.debian.pool.ntp.org\n',
    )
    put(root, 'etc/chrony/sources.d/corp.conf', 'server 10.0.0.5 iburst\npool 2.debian.pool.ntp.org\n')
    put(root, 'etc/rsyslog.d/50-forward.conf', '# comment\n*.* @@siem.corp.example:6514\nauth.* @10.1.1.1\n')
    put(
      root,
      'etc/rsyslog.d/60-omfwd.conf',
      'action(type="omfwd" target="logs.corp.example" port="514" protocol="tcp")\n',
    )
    expect(readTimeAndLogging(root)).toEqual({
      ntp: [
        {
          source: 'etc/systemd/timesyncd.conf',
          servers: ['ntp1.corp.example', 'ntp2.corp.example', '0.debian.pool.ntp.org'],
        },
        { source: 'etc/chrony/sources.d/corp.conf', servers: ['10.0.0.5', '2.debian.pool.ntp.org'] },
      ],
      syslogForwarding: [
        { source: 'etc/rsyslog.d/50-forward.conf', target: '@@siem.corp.example:6514' },
        { source: 'etc/rsyslog.d/50-forward.conf', target: '@10.1.1.1' },
        { source: 'etc/rsyslog.d/60-omfwd.conf', target: 'tcp://logs.corp.example:514' },
      ],
    })
  })

  it('is empty, not an error, when nothing is configured', () => {
    expect(readTimeAndLogging(mkdtempSync(path.join(tmpdir(), 'tl-')))).toEqual({ ntp: [], syslogForwarding: [] })
  })
})
