import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import path from 'node:path'
import { parseArgs } from '../appliance/src/cli/command.ts'

/**
 * The appliance boot test (`npm run test:appliance`, as root, after `npm run build:ova`):
 * boots the locally built disk image under qemu (TCG: no KVM here) on a qcow2 overlay (the image
 * stays clean) with a fresh copy of the OVMF variables, user networking with `restrict=on` and
 * only loopback port forwards, the first-boot properties passed as an OVF environment document
 * through fw_cfg (the guest's documented fallback for VMware's guestinfo.ovfEnv); then waits for
 * first boot, signs in as admin (changing the one-time password), creates a source, posts an alert
 * and finds its incident over the API. Prints the figures and `N passed, N failed`.
 *   node packer/boot-test.ts [--out var/appliance] [--version V] [--memory-mib 3072] [--keep] [--journal-to-serial]
 */
const repo = path.resolve(import.meta.dirname, '..')
const { options } = parseArgs(process.argv.slice(2))
const out = path.resolve(typeof options.out === 'string' ? options.out : path.join(repo, 'var/appliance'))
const version =
  typeof options.version === 'string'
    ? options.version
    : JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')).version
const memoryMib = Number(typeof options['memory-mib'] === 'string' ? options['memory-mib'] : 3072)
const raw = path.join(out, `clawback-${version}.raw`)
const API_PORT = 18843
const CONSOLE_PORT = 18844
const READY_TIMEOUT_S = Number(process.env.CLAWBACK_BOOT_TIMEOUT_S ?? 1500)
process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0' // the appliance's own self-signed certificate

const results: { name: string; ok: boolean; detail?: string }[] = []
const figures: Record<string, string> = {}
const t0 = Date.now()
const secs = (from = t0) => ((Date.now() - from) / 1000).toFixed(1)
const log = (s: string) => process.stdout.write(`[${secs()}s] ${s}\n`)
const check = async (name: string, fn: () => Promise<unknown>) => {
  try {
    const detail = (await fn()) as string | undefined
    results.push({ name, ok: true, detail })
    log(`ok   ${name}${detail ? `: ${detail}` : ''}`)
    return true
  } catch (err) {
    results.push({ name, ok: false, detail: (err as Error).message })
    log(`FAIL ${name}: ${(err as Error).message}`)
    return false
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

if (!existsSync(raw)) {
  process.stderr.write(`no ${raw}: run npm run build:ova first\n`)
  process.exit(2)
}
const work = path.join(out, 'boot-test')
rmSync(work, { recursive: true, force: true })
mkdirSync(work, { recursive: true })
const overlay = path.join(work, 'overlay.qcow2')
execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'raw', '-b', raw, overlay])
const vars = path.join(work, 'OVMF_VARS.fd')
copyFileSync('/usr/share/OVMF/OVMF_VARS_4M.fd', vars)
const adminPassword = `Boot-${randomBytes(9).toString('base64url')}`
const props: Record<string, string> = { hostname: 'cb-boot-test', admin_password: adminPassword }
const ovfEnv = path.join(work, 'ovf-env.xml')
writeFileSync(
  ovfEnv,
  `<?xml version="1.0" encoding="UTF-8"?>
<Environment xmlns="http://schemas.dmtf.org/ovf/environment/1" xmlns:oe="http://schemas.dmtf.org/ovf/environment/1">
  <PropertySection>
${Object.entries(props)
  .map(([k, v]) => `    <Property oe:key="${k}" oe:value="${v}"/>`)
  .join('\n')}
  </PropertySection>
</Environment>
`,
)
const serial = path.join(work, 'serial.log')
const qemuArgs = [
  '-name',
  'clawback-boot-test',
  '-machine',
  'q35,accel=tcg',
  // a named model rather than `max`: node segfaulted once under TCG with -cpu max
  '-cpu',
  'Nehalem',
  '-smp',
  '2',
  '-m',
  String(memoryMib),
  '-drive',
  'if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd',
  '-drive',
  `if=pflash,format=raw,unit=1,file=${vars}`,
  '-drive',
  `file=${overlay},format=qcow2,if=none,id=disk0`,
  '-device',
  'virtio-blk-pci,drive=disk0,bootindex=0',
  // no route anywhere but the two forwarded loopback ports
  '-nic',
  `user,model=virtio-net-pci,restrict=on,hostfwd=tcp:127.0.0.1:${API_PORT}-:443,hostfwd=tcp:127.0.0.1:${CONSOLE_PORT}-:8443`,
  '-fw_cfg',
  `name=opt/clawback/ovfenv,file=${ovfEnv}`,
  '-serial',
  `file:${serial}`,
  '-display',
  'none',
  '-monitor',
  'none',
]
if (options['journal-to-serial']) {
  // debugging: boot the build's kernel directly (bypassing the ESP's loader entry) with the
  // journal forwarded to the serial console, so serial.log shows every unit's output
  const boot = path.join(out, 'rootfs', 'boot')
  const entry = readFileSync(path.join(out, 'clawback.conf'), 'utf8')
  const root = /root=(\S+)/.exec(entry)![1]!
  const pick = (prefix: string) =>
    path.join(
      boot,
      readdirSync(boot)
        .filter((f) => f.startsWith(prefix))
        .sort()
        .at(-1)!,
    )
  qemuArgs[qemuArgs.indexOf('virtio-blk-pci,drive=disk0,bootindex=0')] = 'virtio-blk-pci,drive=disk0'
  qemuArgs.push(
    '-kernel',
    pick('vmlinuz-'),
    '-initrd',
    pick('initrd.img-'),
    '-append',
    `root=${root} ro console=tty0 console=ttyS0,115200 systemd.journald.forward_to_console=1`,
  )
}
log(`booting ${path.basename(raw)} (qemu TCG, ${memoryMib} MiB, restrict=on, ports ${API_PORT}/${CONSOLE_PORT})`)
const qemu: ChildProcess = spawn('nice', ['-n', '10', 'qemu-system-x86_64', ...qemuArgs], {
  stdio: ['ignore', 'inherit', 'inherit'],
})
let qemuExited = false
qemu.on('exit', () => {
  qemuExited = true
})
const stop = () => {
  if (!qemuExited) qemu.kill('SIGTERM')
}
process.on('SIGINT', () => {
  stop()
  process.exit(130)
})

/** A tiny cookie jar + fetch against the forwarded ports. */
const jar = new Map<string, string>()
const http = async (port: number, p: string, init: RequestInit = {}) => {
  const headers = new Headers(init.headers)
  if (jar.size) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '))
  const res = await fetch(`https://127.0.0.1:${port}${p}`, {
    ...init,
    headers,
    redirect: 'manual',
    signal: AbortSignal.timeout(60_000),
  })
  for (const c of res.headers.getSetCookie()) {
    const [pair] = c.split(';')
    const i = pair!.indexOf('=')
    const name = pair!.slice(0, i)
    const value = pair!.slice(i + 1)
    if (/max-age=0|expires=thu, 01 jan 1970/i.test(c) || value === '') jar.delete(name)
    else jar.set(name, value)
  }
  return res
}
const csrfOf = (page: string) => {
  const m = /name="_csrf" value="([^"]+)"/.exec(page)
  if (!m) throw new Error('no CSRF token on the page')
  return m[1]!
}
const form = (o: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(o).toString(),
})

let exitCode = 1
try {
  let readyAfter = 0
  const booted = await check('first boot completes and /readyz answers 200', async () => {
    const deadline = Date.now() + READY_TIMEOUT_S * 1000
    while (Date.now() < deadline) {
      if (qemuExited) throw new Error('qemu exited')
      const ok = await fetch(`https://127.0.0.1:${API_PORT}/readyz`, { signal: AbortSignal.timeout(5000) })
        .then((r) => r.status === 200)
        .catch(() => false)
      if (ok) {
        readyAfter = Number(secs())
        figures['boot to ready (s)'] = String(readyAfter)
        return `${readyAfter} s after qemu started`
      }
      await sleep(3000)
    }
    throw new Error(`not ready within ${READY_TIMEOUT_S} s (see ${serial})`)
  })
  if (booted) {
    const newPassword = `Changed-${randomBytes(9).toString('base64url')}`
    await check('sign in as admin with the OVF admin_password; the forced change is honoured', async () => {
      const loginPage = await (await http(API_PORT, '/login')).text()
      const res = await http(
        API_PORT,
        '/login',
        form({ _csrf: csrfOf(loginPage), username: 'admin', password: adminPassword, next: '/' }),
      )
      if (res.status !== 303) throw new Error(`POST /login answered ${res.status}`)
      if (res.headers.get('location') !== '/account/password')
        throw new Error(`expected the forced password change, got ${res.headers.get('location')}`)
      const pwPage = await (await http(API_PORT, '/account/password')).text()
      const changed = await http(
        API_PORT,
        '/account/password',
        form({ _csrf: csrfOf(pwPage), current: adminPassword, password: newPassword, confirm: newPassword }),
      )
      if (changed.status >= 400) throw new Error(`password change answered ${changed.status}`)
    })
    let apiKey = ''
    await check('create an API key with the session', async () => {
      const csrf = csrfOf(await (await http(API_PORT, '/account/password')).text())
      const res = await http(API_PORT, '/api/v1/api-keys', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
        body: JSON.stringify({ name: 'boot test', teams: ['Admins'] }),
      })
      if (res.status !== 201 && res.status !== 200) throw new Error(`answered ${res.status}: ${await res.text()}`)
      apiKey = ((await res.json()) as { data: { key: string } }).data.key
    })
    const api = (p: string, init: RequestInit = {}) =>
      fetch(`https://127.0.0.1:${API_PORT}${p}`, {
        ...init,
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', ...init.headers },
        signal: AbortSignal.timeout(60_000),
      })
    const subject = `Boot test ${randomBytes(4).toString('hex')}`
    await check('post an alert to a JSON source and see its incident over the API', async () => {
      const src = await api('/api/v1/sources', {
        method: 'POST',
        body: JSON.stringify({ name: 'Boot test', type: 'json' }),
      })
      if (src.status !== 201) throw new Error(`source: ${src.status} ${await src.text()}`)
      const url = new URL(((await src.json()) as { data: { url: string } }).data.url)
      const alert = {
        json_version: '2.0',
        summary: 'Phish reported by the boot test',
        classification: 'phish',
        severity: 'major',
        email: {
          sender: 'bad@evil.example',
          recipient: ['jdoe@corp.example'],
          subject,
          message_id: `<${subject.replace(/ /g, '.')}@evil.example>`,
        },
      }
      const posted = await fetch(`https://127.0.0.1:${API_PORT}${url.pathname}`, {
        method: 'POST',
        body: JSON.stringify(alert),
        signal: AbortSignal.timeout(60_000),
      })
      if (posted.status !== 200) throw new Error(`alert: ${posted.status} ${await posted.text()}`)
      const { incident_id } = (await posted.json()) as { incident_id: number }
      const inc = await api(`/api/v1/incidents/${incident_id}`)
      if (inc.status !== 200) throw new Error(`incident: ${inc.status}`)
      const list = (await (await api(`/api/v1/incidents?q=${encodeURIComponent(subject)}`)).json()) as {
        items: { id: number }[]
      }
      if (!list.items.some((i) => i.id === incident_id)) throw new Error('the incident is not in the search result')
      return `incident ${incident_id}`
    })
    await check('the management console answers on 8443 over TLS', async () => {
      // without the jar: cookies are per host, not per port, so the API port's session would be
      // sent here too and the signed-in console would redirect /login to its home page
      const res = await fetch(`https://127.0.0.1:${CONSOLE_PORT}/login`, { signal: AbortSignal.timeout(60_000) })
      if (res.status !== 200) throw new Error(`GET /login on the console answered ${res.status}`)
      if (!(await res.text()).includes('Sign in')) throw new Error('the console did not show its sign-in page')
    })
    // idle: let the roles settle, then read the VM's memory as the host sees it
    await sleep(30_000)
    await check('idle memory of the whole VM (qemu RSS) is reported', async () => {
      const rss = readFileSync(`/proc/${qemu.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)
      // the nice wrapper execs qemu, so the pid is qemu's
      figures['qemu RSS idle (MiB)'] = rss ? String(Math.round(Number(rss[1]) / 1024)) : 'n/a'
      return `${figures['qemu RSS idle (MiB)']} MiB (includes guest page cache and firmware)`
    })
  }
} finally {
  stop()
  const sizes = [
    raw,
    ...['ova', 'img'].map((e) => path.join(out, `clawback-${version}.${e}`)),
    path.join(out, `clawback-${version}-disk1.vmdk`),
  ]
  for (const f of sizes)
    if (existsSync(f)) figures[`${path.basename(f)} (MiB)`] = String(Math.round(statSync(f).size / 2 ** 20))
  figures['total run (s)'] = secs()
  process.stdout.write(
    `\nfigures:\n${Object.entries(figures)
      .map(([k, v]) => `  ${k}: ${v}`)
      .join('\n')}\n`,
  )
  const passed = results.filter((r) => r.ok).length
  const failed = results.length - passed
  process.stdout.write(`serial console: ${serial}\n${passed} passed, ${failed} failed\n`)
  exitCode = failed === 0 && passed > 0 ? 0 : 1
  if (!options.keep && exitCode === 0) rmSync(overlay, { force: true })
}
process.exit(exitCode)
